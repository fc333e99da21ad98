#include "fanout/exit_code.hpp"

#include <algorithm>

namespace cc {

int fanout_exit_code(std::span<const NodeExit> nodes, const ExitRule& rule) {
    bool all_ok = !rule.found_trouble;
    int largest = 0;
    for (const auto& n : nodes) {
        if (n.status == NodeStatus::interrupted) return kExitInterrupted;
        all_ok = all_ok && (n.status == NodeStatus::ok || n.status == NodeStatus::skipped);
        largest = std::max(largest, n.remote_status.value_or(255));
    }
    if (rule.max_rc) return largest;
    return all_ok ? kExitOk : kExitPartial;
}

}  // namespace cc
