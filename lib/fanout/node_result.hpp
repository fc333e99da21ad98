// What one node's share of a fan-out ended as: the one status set every
// per-node command reports, and the value its work produced.
#pragma once
#include <chrono>
#include <optional>
#include <string>

#include "core/error.hpp"

namespace cc {

enum class NodeStatus {
    ok,           // the work ran to its end and succeeded
    failed,       // it ran and failed (non-zero exit, a remote error, a refused plan)
    timeout,      // connect or command deadline passed
    unreachable,  // no connection: TCP, SSH handshake, authentication, host key
    interrupted,  // Ctrl-C (or a closed stdout) stopped it or kept it from starting
    skipped,      // never attempted by choice (e.g. a cordoned node, nothing to do)
};

template <class T>
struct NodeResult {
    std::string node;
    NodeStatus status = NodeStatus::failed;
    std::optional<ErrorKind> error_kind;  // set when the work did not run or finish
    std::string error;                    // names the node and the cause; "" when ok
    std::chrono::milliseconds duration{0};
    T value{};  // what the work produced (for a failed command too: its exit status)
};

// The one map from why a node's work stopped to how it counts.
NodeStatus node_status_for(ErrorKind kind);

// The word tables and `-o json` show for a node (man/clusterctl.1, exec and
// key JSON): the status, except that a node stopped by an error says which:
// `auth`, `host-key` (could not log in) or `error` (anything but a non-zero
// exit). One word set for every command, without growing the status set.
const char* node_status_word(NodeStatus status, const std::optional<ErrorKind>& kind);

// Fills a result from the error that stopped the work; the message names the node.
void record_failure(std::string_view node, NodeStatus& status, std::optional<ErrorKind>& kind, std::string& message,
                    const Error& error);
template <class T>
void record_failure(NodeResult<T>& result, const Error& error) {
    record_failure(result.node, result.status, result.error_kind, result.error, error);
}

}  // namespace cc
