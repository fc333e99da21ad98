#include <fmt/format.h>

#include "core/units.hpp"
#include "ops/node_ops.hpp"

namespace cc {

namespace {

using Clock = std::chrono::steady_clock;

CheckItem item(std::string name, CheckState state, std::string detail) {
    return {std::move(name), state, std::move(detail)};
}

CheckItem judge_gpu(const Node& node, const Facts& facts) {
    std::size_t recorded = node.facts ? node.facts->gpus.size() : 0;
    if (!facts.nvidia_smi) {
        if (recorded > 0)
            return item("gpu", CheckState::failed,
                        fmt::format("nvidia-smi not found, but {} GPU(s) were recorded", recorded));
        return item("gpu", CheckState::skipped, "no NVIDIA driver (no nvidia-smi)");
    }
    if (!facts.gpu_error.empty()) return item("gpu", CheckState::failed, "nvidia-smi: " + facts.gpu_error);
    if (facts.gpus.size() < recorded)
        return item("gpu", CheckState::failed,
                    fmt::format("{} of {} recorded GPU(s) visible", facts.gpus.size(), recorded));
    if (facts.gpus.empty()) return item("gpu", CheckState::failed, "nvidia-smi lists no GPU");
    return item("gpu", CheckState::ok,
                fmt::format("{} x {}, driver {}", facts.gpus.size(), facts.gpus.front().name, facts.gpu_driver));
}

// What a node that could not be checked shows: the step that stopped it.
void fill_unchecked(NodeCheck& report, const Error& error) {
    bool host_key = error.kind == ErrorKind::host_key;
    report.checks = {item("ssh", host_key ? CheckState::ok : CheckState::failed, host_key ? "connected" : error.message),
                     item("host_key", host_key ? CheckState::failed : CheckState::skipped,
                          host_key ? error.message : "not checked"),
                     item("runtime", CheckState::skipped, "not checked"), item("gpu", CheckState::skipped, "not checked"),
                     item("disk", CheckState::skipped, "not checked")};
    report.reason = error.message;
}

struct TimedConnection {
    std::unique_ptr<Connection> connection;
    std::chrono::milliseconds took;
};

}  // namespace

const char* check_state_name(CheckState state) {
    switch (state) {
        case CheckState::ok: return "ok";
        case CheckState::failed: return "failed";
        case CheckState::skipped: return "skipped";
    }
    return "?";
}

std::vector<CheckItem> judge_facts(const Node& node, const Facts& facts, std::uint64_t min_disk_free) {
    std::vector<CheckItem> items;
    if (facts.runtime.empty())
        items.push_back(item("runtime", CheckState::failed, "no container runtime (docker or podman) on PATH"));
    else if (!facts.runtime_error.empty())
        items.push_back(item("runtime", CheckState::failed, facts.runtime + " info: " + facts.runtime_error));
    else
        items.push_back(item("runtime", CheckState::ok, facts.runtime + " " + facts.runtime_version));
    items.push_back(judge_gpu(node, facts));
    if (facts.disk_free_bytes < min_disk_free)
        items.push_back(item("disk", CheckState::failed,
                             fmt::format("/ has {} free, below {}", format_bytes(facts.disk_free_bytes),
                                         format_bytes(min_disk_free))));
    else
        items.push_back(item("disk", CheckState::ok,
                             fmt::format("/ has {} free of {}", format_bytes(facts.disk_free_bytes),
                                         format_bytes(facts.disk_total_bytes))));
    return items;
}

Result<std::vector<NodeResult<NodeCheck>>> node_check(OpsContext& ctx, const std::string& nodeset) {
    auto nodes = resolve_nodes(ctx, nodeset);
    if (!nodes) return std::unexpected(nodes.error());
    // The ssh check reports how long logging in took, so the connect is timed here.
    auto connect = [&](const Node& node) -> Result<TimedConnection> {
        auto start = Clock::now();
        auto connection = connect_pinned(ctx, node);
        if (!connection) return std::unexpected(connection.error());
        return TimedConnection{std::move(*connection),
                               std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start)};
    };
    auto check = [&](TimedConnection& timed, const Node& node, NodeCheck& report) -> Result<NodeStatus> {
        auto facts = gather_facts(*timed.connection, node.name, true, ctx.settings.command_timeout);
        if (!facts) return std::unexpected(facts.error());
        report.checks = {item("ssh", CheckState::ok, fmt::format("logged in as {} in {} ms", node.user, timed.took.count())),
                         item("host_key", CheckState::ok, node.host_key.fingerprint)};
        for (auto& c : judge_facts(node, *facts, ctx.settings.min_disk_free)) report.checks.push_back(std::move(c));
        for (const auto& c : report.checks)
            if (c.state == CheckState::failed) {
                report.reason = c.name + ": " + c.detail;
                return NodeStatus::failed;
            }
        return NodeStatus::ok;
    };
    auto reports = run_per_node<NodeCheck>(*nodes, ctx.settings.fanout, connect, check);
    for (auto& r : reports)
        if (r.error_kind) fill_unchecked(r.value, {*r.error_kind, r.error});
    return reports;
}

Result<std::vector<NodeResult<Facts>>> node_facts_refresh(OpsContext& ctx, const std::string& nodeset) {
    auto nodes = resolve_nodes(ctx, nodeset);
    if (!nodes) return std::unexpected(nodes.error());
    NodeWork<Facts> gather = [&](Connection& connection, const Node& node, Facts& facts) -> Result<NodeStatus> {
        auto gathered = gather_facts(connection, node.name, false, ctx.settings.command_timeout);
        if (!gathered) return std::unexpected(gathered.error());
        facts = std::move(*gathered);
        return NodeStatus::ok;
    };
    auto outcomes = run_on_nodes(ctx, *nodes, gather);
    std::vector<std::pair<std::string, Facts>> gathered;
    for (const auto& o : outcomes)
        if (o.status == NodeStatus::ok) gathered.emplace_back(o.node, o.value);
    if (auto stored = ctx.inventory.nodes().update_facts(gathered); !stored) return std::unexpected(stored.error());
    return outcomes;
}

}  // namespace cc
