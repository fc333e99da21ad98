// `exec`: one command on every node of a NODESET, in parallel, each node
// bounded by the connect timeout and its own command deadline.
#pragma once
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_source.hpp"
#include "ops/context.hpp"

namespace cc {

// What the command left on one node (NodeResult::status is ok for exit 0,
// failed for another exit or a signal; the error says why it did not finish).
struct ExecOutput {
    std::optional<int> exit_status;  // set when the command ran to its end
    std::string exit_signal;
    std::string out;                 // gathered output (not when streamed), at most
    std::string err;                 // settings.exec_max_output bytes each
    bool truncated = false;          // output past that cap was read and dropped
};

struct ExecRequest {
    std::string nodeset;
    std::vector<std::string> argv;     // quoted for the remote shell by shell_join
    std::optional<std::string> shell;  // or a shell line, taken as written
    // Every node's stdin: read once and fed to all nodes at the pace of the
    // slowest (core/broadcast_source.hpp). None: stdin is empty (an immediate EOF).
    ByteSource* input = nullptr;
    // When set, output is streamed here (from worker threads) instead of gathered.
    std::function<void(const std::string& node, int stream, std::string_view data)> on_output;
    // Called from the worker thread as soon as a node is done.
    OnNodeDone<ExecOutput> on_done;
};

Result<std::vector<NodeResult<ExecOutput>>> exec_on_nodes(OpsContext& ctx, const ExecRequest& request);

}  // namespace cc
