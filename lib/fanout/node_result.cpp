#include "fanout/node_result.hpp"

#include <fmt/format.h>

namespace cc {

NodeStatus node_status_for(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::timeout: return NodeStatus::timeout;
        case ErrorKind::unreachable:
        case ErrorKind::auth:
        case ErrorKind::host_key: return NodeStatus::unreachable;
        case ErrorKind::interrupted: return NodeStatus::interrupted;
        default: return NodeStatus::failed;
    }
}

const char* node_status_word(NodeStatus status, const std::optional<ErrorKind>& kind) {
    switch (status) {
        case NodeStatus::ok: return "ok";
        case NodeStatus::failed: return kind ? "error" : "failed";
        case NodeStatus::timeout: return "timeout";
        case NodeStatus::unreachable:
            if (kind == ErrorKind::auth) return "auth";
            if (kind == ErrorKind::host_key) return "host-key";
            return "unreachable";
        case NodeStatus::interrupted: return "interrupted";
        case NodeStatus::skipped: return "skipped";
    }
    return "?";
}

void record_failure(std::string_view node, NodeStatus& status, std::optional<ErrorKind>& kind, std::string& message,
                    const Error& error) {
    status = node_status_for(error.kind);
    kind = error.kind;
    // The transport names the node with its address (`node "n1" (root@…)`);
    // what does not name it yet gets the name in front. Ctrl-C is no cause of
    // the node's: it stays "interrupted", as the status notes and JSON show it.
    const bool named = error.kind == ErrorKind::interrupted ||
                       error.message.find(fmt::format("node \"{}\"", node)) != std::string::npos;
    message = named ? error.message : fmt::format("node \"{}\": {}", node, error.message);
}

}  // namespace cc
