// `cp`: a local file or directory to NODESET:PATH (temp name, then one atomic
// rename per file on the node), or NODESET:PATH gathered into DIR/<node>/.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "ops/context.hpp"

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

// What landed on (or from) one node.
struct CopyOutput {
    std::uint64_t bytes = 0;
    std::size_t files = 0;
    std::string local_path;  // pull: where the node's file landed
};

Result<std::vector<NodeResult<CopyOutput>>> copy_files(OpsContext& ctx, const CopyRequest& request);

}  // namespace cc
