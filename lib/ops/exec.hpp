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
    std::function<void(const struct NodeExecOutcome& outcome)> on_done;
};

enum class ExecStatus { ok, failed, timeout, unreachable, auth, host_key, error, interrupted };
const char* exec_status_name(ExecStatus status);
// How a failure to reach or finish on a node is reported.
ExecStatus exec_status_for(ErrorKind kind);

struct NodeExecOutcome {
    std::string node;
    ExecStatus status = ExecStatus::error;
    std::optional<int> exit_status;  // set when the command ran to its end
    std::string exit_signal;
    std::string error;               // why it did not run or finish
    std::string out;                 // gathered output (not when streamed), at most
    std::string err;                 // settings.exec_max_output bytes each
    bool truncated = false;          // output past that cap was read and dropped
    std::chrono::milliseconds duration{0};
};

// The remote command line for a request (the one place argv becomes a shell line).
Result<std::string> exec_command_line(const ExecRequest& request);

// Wraps a command line so the node itself stops it shortly after `deadline`.
// Lines over kLongRemoteLine bytes reach the shell through a heredoc, not argv.
constexpr std::size_t kLongRemoteLine = 16 * 1024;
std::string with_remote_deadline(const std::string& line, std::chrono::milliseconds deadline);

Result<std::vector<NodeExecOutcome>> exec_on_nodes(OpsContext& ctx, const ExecRequest& request);

}  // namespace cc
