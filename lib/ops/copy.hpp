// `cp`: a local file or directory to NODESET:PATH (temp name, then one atomic
// rename per file on the node), or NODESET:PATH gathered into DIR/<node>/.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "ops/context.hpp"
#include "ops/exec.hpp"

namespace cc {

struct CopySpec {
    bool remote = false;
    std::string nodeset;  // when remote
    std::string path;
};

// "gpu[01-04]:/etc/x" is remote; "./a:b", "/tmp/x" and existing local paths are local.
CopySpec parse_copy_spec(const std::string& text);

struct CopyRequest {
    CopySpec source;
    CopySpec destination;
};

struct NodeCopyOutcome {
    std::string node;
    ExecStatus status = ExecStatus::error;
    std::uint64_t bytes = 0;
    std::size_t files = 0;
    std::string error;
    std::string local_path;  // pull: where the node's file landed
    std::chrono::milliseconds duration{0};
};

Result<std::vector<NodeCopyOutcome>> copy_files(OpsContext& ctx, const CopyRequest& request);

}  // namespace cc
