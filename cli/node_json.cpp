#include "node_json.hpp"

namespace cc::cli {

nlohmann::json node_json(const Node& node) {
    return {{"name", node.name},
            {"host", node.host},
            {"port", node.port},
            {"user", node.user},
            {"identity", node.identity.empty() ? nlohmann::json(nullptr) : nlohmann::json(node.identity)},
            {"labels", node.labels},
            {"groups", node.groups},
            {"host_key", {{"type", node.host_key.type}, {"fingerprint", node.host_key.fingerprint}}},
            {"created_at", node.created_at},
            {"facts", node.facts ? nlohmann::json(*node.facts) : nlohmann::json(nullptr)}};
}

nlohmann::json check_json(const NodeResult<NodeCheck>& r) {
    nlohmann::json checks = nlohmann::json::object();
    for (const auto& c : r.value.checks) checks[c.name] = {{"state", check_state_name(c.state)}, {"detail", c.detail}};
    return {{"node", r.node},
            {"healthy", r.status == NodeStatus::ok},
            {"error_kind", r.error_kind ? nlohmann::json(error_kind_name(*r.error_kind)) : nlohmann::json(nullptr)},
            {"reason", r.value.reason},
            {"duration_ms", r.duration.count()},
            {"checks", checks}};
}

nlohmann::json facts_outcome_json(const NodeResult<Facts>& o) {
    bool ok = o.status == NodeStatus::ok;
    return {{"node", o.node},
            {"ok", ok},
            {"error_kind", o.error_kind ? nlohmann::json(error_kind_name(*o.error_kind)) : nlohmann::json(nullptr)},
            {"error", ok ? nlohmann::json(nullptr) : nlohmann::json(o.error)},
            {"facts", ok ? nlohmann::json(o.value) : nlohmann::json(nullptr)}};
}

}  // namespace cc::cli
