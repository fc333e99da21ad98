// The process exit codes of DESIGN.md, and the one function that turns a
// fan-out's per-node results into one of them.
#pragma once
#include <optional>
#include <span>
#include <vector>

#include "fanout/node_result.hpp"

namespace cc {

enum ExitCode : int {
    kExitOk = 0,            // success
    kExitError = 1,         // error: bad input, nothing changed
    kExitUsage = 2,         // command-line usage error
    kExitPartial = 3,       // some nodes failed, the rest done, every node reported
    kExitInterrupted = 130, // Ctrl-C
    kExitBrokenPipe = 141   // stdout closed under us (128 + SIGPIPE, as a shell pipeline reports it)
};

struct NodeExit {
    NodeStatus status = NodeStatus::failed;
    std::optional<int> remote_status;  // a remote command's exit status, when it ran to its end unsignalled
};

struct ExitRule {
    // exec --max-rc: the largest remote exit status instead of 0/3; a node
    // whose command never finished counts as 255, like ssh itself.
    bool max_rc = false;
    // The command found something wrong beyond the node statuses (key audit's
    // drift, key rm keeping the key registered): 3 even when every node is ok.
    bool found_trouble = false;
};

// 130 when any node was interrupted; else max_rc's value when asked; else 3
// when any node is not ok (skipped counts as ok) or trouble was found; else 0.
int fanout_exit_code(std::span<const NodeExit> nodes, const ExitRule& rule = {});

template <class T>
int fanout_exit_code(const std::vector<NodeResult<T>>& results, const ExitRule& rule = {}) {
    std::vector<NodeExit> nodes;
    nodes.reserve(results.size());
    for (const auto& r : results) {
        NodeExit exit{r.status, std::nullopt};
        if constexpr (requires { r.value.exit_status; r.value.exit_signal; })
            if (r.value.exit_signal.empty()) exit.remote_status = r.value.exit_status;
        nodes.push_back(exit);
    }
    return fanout_exit_code(std::span<const NodeExit>(nodes), rule);
}

}  // namespace cc
