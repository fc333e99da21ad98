#include <fmt/format.h>

#include "core/units.hpp"
#include "fanout/fanout.hpp"
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

void fail_unreachable(NodeCheckReport& report, const Error& error) {
    bool host_key = error.kind == ErrorKind::host_key;
    report.checks = {item("ssh", host_key ? CheckState::ok : CheckState::failed, host_key ? "connected" : error.message),
                     item("host_key", host_key ? CheckState::failed : CheckState::skipped,
                          host_key ? error.message : "not checked"),
                     item("runtime", CheckState::skipped, "not checked"), item("gpu", CheckState::skipped, "not checked"),
                     item("disk", CheckState::skipped, "not checked")};
    report.error_kind = error.kind;
    report.reason = error.message;
}

NodeCheckReport check_one(OpsContext& ctx, const Node& node) {
    NodeCheckReport report;
    report.node = node.name;
    auto start = Clock::now();
    auto finish = [&] {
        report.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
        report.healthy = true;
        for (const auto& c : report.checks)
            if (c.state == CheckState::failed) {
                report.healthy = false;
                if (report.reason.empty()) report.reason = c.name + ": " + c.detail;
            }
        return report;
    };
    auto connection = connect_pinned(ctx, node);
    if (!connection) {
        fail_unreachable(report, connection.error());
        return finish();
    }
    auto connected_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    auto facts = gather_facts(**connection, node.name, true, ctx.settings.command_timeout);
    if (!facts) {
        fail_unreachable(report, facts.error());
        return finish();
    }
    report.checks = {item("ssh", CheckState::ok, fmt::format("logged in as {} in {} ms", node.user, connected_ms)),
                     item("host_key", CheckState::ok, node.host_key.fingerprint)};
    for (auto& c : judge_facts(node, *facts, ctx.settings.min_disk_free)) report.checks.push_back(std::move(c));
    return finish();
}

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

Result<std::vector<NodeCheckReport>> node_check(OpsContext& ctx, const std::string& nodeset) {
    auto nodes = resolve_nodes(ctx, nodeset);
    if (!nodes) return std::unexpected(nodes.error());
    std::vector<NodeCheckReport> reports(nodes->size());
    for_each_parallel(nodes->size(), ctx.settings.fanout,
                      [&](std::size_t i) { reports[i] = check_one(ctx, (*nodes)[i]); });
    return reports;
}

Result<std::vector<FactsOutcome>> node_facts_refresh(OpsContext& ctx, const std::string& nodeset) {
    auto nodes = resolve_nodes(ctx, nodeset);
    if (!nodes) return std::unexpected(nodes.error());
    std::vector<FactsOutcome> outcomes(nodes->size());
    for_each_parallel(nodes->size(), ctx.settings.fanout, [&](std::size_t i) {
        const Node& node = (*nodes)[i];
        outcomes[i].node = node.name;
        auto connection = connect_pinned(ctx, node);
        auto facts = connection ? gather_facts(**connection, node.name, false, ctx.settings.command_timeout)
                                : Result<Facts>(std::unexpected(connection.error()));
        if (facts) outcomes[i].facts = std::move(*facts);
        else outcomes[i].failure = NodeFailure{facts.error().kind, facts.error().message};
    });
    std::vector<std::pair<std::string, Facts>> gathered;
    for (const auto& o : outcomes)
        if (o.facts) gathered.emplace_back(o.node, *o.facts);
    if (auto stored = ctx.inventory.nodes().update_facts(gathered); !stored) return std::unexpected(stored.error());
    return outcomes;
}

}  // namespace cc
