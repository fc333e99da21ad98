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

}  // namespace cc
