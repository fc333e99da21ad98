// `instance ls|show|start|stop|restart|rm|logs|exec`: the inventory's instances
// joined with what their nodes' runtimes say, and the runtime verbs on them.
#include <algorithm>
#include <set>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "ops/image_nodes.hpp"
#include "ops/instance.hpp"
#include "ops/instance_node.hpp"
#include "remote/command.hpp"
#include "remote/sections.hpp"
#include "runtime/container_list.hpp"

namespace cc {

namespace {

// How long stop and restart let the container's process end before the runtime kills it.
constexpr std::chrono::seconds kStopGrace{10};

std::string iso8601(std::int64_t unix_seconds) {
    return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", std::chrono::sys_seconds{std::chrono::seconds{unix_seconds}});
}

Result<InstanceView> view_of(OpsContext& ctx, InstanceRecord record) {
    InstanceView view;
    auto claims = ctx.inventory.claims();
    auto gpus = claims.gpus_of(record.name);
    if (!gpus) return std::unexpected(gpus.error());
    auto ports = claims.ports_of(record.name);
    if (!ports) return std::unexpected(ports.error());
    auto labels = ctx.inventory.instances().labels_of(record.name);
    if (!labels) return std::unexpected(labels.error());
    view.record = std::move(record);
    view.gpus = std::move(*gpus);
    view.ports = std::move(*ports);
    view.labels = std::move(*labels);
    return view;
}

Result<InstanceRecord> record_of(OpsContext& ctx, const std::string& name) {
    auto record = ctx.inventory.instances().find(name);
    if (!record) return std::unexpected(record.error());
    if (!*record) return fail(ErrorKind::not_found, fmt::format("no instance named \"{}\"", name));
    return **record;
}

Result<Node> node_of(OpsContext& ctx, const InstanceRecord& record) { return ctx.inventory.nodes().get(record.node); }

// Joins one node's listing into the views of its instances.
void apply_listing(std::vector<InstanceView*>& views, const NodeResult<std::vector<ListedContainer>>& listed) {
    for (auto* v : views) {
        if (listed.status != NodeStatus::ok) {
            v->status = "unreachable";
            v->detail = listed.error;
            continue;
        }
        auto it = std::find_if(listed.value.begin(), listed.value.end(),
                               [&](const ListedContainer& c) { return c.instance == v->record.name; });
        if (it == listed.value.end()) {
            v->status = "missing";
            continue;
        }
        v->status = it->state;
        if (it->started_at) v->started_at = iso8601(*it->started_at);
    }
}

Result<void> fill_live_status(OpsContext& ctx, std::vector<InstanceView>& views) {
    std::map<std::string, std::vector<InstanceView*>> by_node;
    for (auto& v : views) by_node[v.record.node].push_back(&v);
    if (by_node.empty()) return {};
    std::vector<Node> nodes;
    for (const auto& [name, _] : by_node) {
        auto node = ctx.inventory.nodes().get(name);
        if (!node) return std::unexpected(node.error());
        nodes.push_back(std::move(*node));
    }
    NodeWork<std::vector<ListedContainer>> work = [&](Connection& connection, const Node& node,
                                                      std::vector<ListedContainer>& out) -> Result<NodeStatus> {
        auto runtime = runtime_of(node);
        if (!runtime) return std::unexpected(runtime.error());
        auto ran = run_bounded(connection, remote_command(container_list_argv(runtime->kind()), ctx.settings.command_timeout),
                               ctx.settings.command_timeout, SectionLimits{kMaxContainerListBytes, 1});
        if (!ran) return std::unexpected(ran.error());
        if (ran->exit_status != 0 || !ran->exit_signal.empty())
            return std::unexpected(runtime_failed(*runtime, "ps", *ran));
        auto listed = parse_container_list(runtime->kind(), ran->out);
        if (!listed) return std::unexpected(listed.error());
        out = std::move(*listed);
        return NodeStatus::ok;
    };
    for (const auto& result : run_on_nodes(ctx, nodes, work)) apply_listing(by_node[result.node], result);
    return {};
}

}  // namespace

Result<std::vector<InstanceView>> instance_list(OpsContext& ctx, std::string_view nodeset, const std::string& owner) {
    std::set<std::string> wanted;
    if (!nodeset.empty()) {
        auto nodes = resolve_nodes(ctx, nodeset);
        if (!nodes) return std::unexpected(nodes.error());
        for (const auto& n : *nodes) wanted.insert(n.name);
    }
    auto records = ctx.inventory.instances().list();
    if (!records) return std::unexpected(records.error());
    std::vector<InstanceView> views;
    for (auto& r : *records) {
        if (!nodeset.empty() && !wanted.contains(r.node)) continue;
        if (!owner.empty() && r.owner != owner) continue;
        auto view = view_of(ctx, std::move(r));
        if (!view) return std::unexpected(view.error());
        views.push_back(std::move(*view));
    }
    if (auto live = fill_live_status(ctx, views); !live) return std::unexpected(live.error());
    return views;
}

Result<InstanceView> instance_show(OpsContext& ctx, const std::string& name) {
    auto record = record_of(ctx, name);
    if (!record) return std::unexpected(record.error());
    auto view = view_of(ctx, std::move(*record));
    if (!view) return std::unexpected(view.error());
    std::vector<InstanceView> one{std::move(*view)};
    if (auto live = fill_live_status(ctx, one); !live) return std::unexpected(live.error());
    return std::move(one.front());
}

namespace {

// Runs `step` for each named instance on its node, one result per instance.
template <class Step>
Result<std::vector<NodeResult<InstanceView>>> for_each_instance(OpsContext& ctx, const std::vector<std::string>& names,
                                                                Step step) {
    std::vector<InstanceView> views;
    for (const auto& name : names) {
        auto record = record_of(ctx, name);
        if (!record) return std::unexpected(record.error());
        auto view = view_of(ctx, std::move(*record));
        if (!view) return std::unexpected(view.error());
        views.push_back(std::move(*view));
    }
    std::vector<NodeResult<InstanceView>> out;
    for (auto& view : views) {
        NodeResult<InstanceView> result;
        result.node = view.record.name;
        auto started = std::chrono::steady_clock::now();
        auto node = node_of(ctx, view.record);
        Result<void> done = node ? Result<void>{} : Result<void>{std::unexpected(node.error())};
        if (done) {
            NodeInstanceRun run{ctx, *node};
            done = step(run, view);
        }
        result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        if (done) {
            result.status = NodeStatus::ok;
        } else {
            result.status = node_status_for(done.error().kind);
            result.error_kind = done.error().kind;
            result.error = done.error().message;
        }
        result.value = std::move(view);
        out.push_back(std::move(result));
    }
    return out;
}

}  // namespace

Result<std::vector<NodeResult<InstanceView>>> instance_act(OpsContext& ctx, const std::vector<std::string>& names,
                                                           InstanceAction action) {
    return for_each_instance(ctx, names, [&](NodeInstanceRun& run, InstanceView& view) -> Result<void> {
        auto kind = run.kind();
        if (!kind) return std::unexpected(kind.error());
        const std::string& name = view.record.name;
        auto argv = action == InstanceAction::start  ? start_argv(*kind, name)
                    : action == InstanceAction::stop ? stop_argv(*kind, name, kStopGrace)
                                                     : restart_argv(*kind, name, kStopGrace);
        const char* what = action == InstanceAction::start ? "start" : action == InstanceAction::stop ? "stop" : "restart";
        auto ran = run.runtime_command(argv, what);
        if (!ran) return std::unexpected(ran.error());
        view.status = action == InstanceAction::stop ? "exited" : "running";
        return {};
    });
}

Result<std::vector<NodeResult<InstanceView>>> instance_remove(OpsContext& ctx, const std::vector<std::string>& names,
                                                              bool force_record) {
    return for_each_instance(ctx, names, [&](NodeInstanceRun& run, InstanceView& view) -> Result<void> {
        auto removed = run.remove_leftover(view.record.name);
        if (!removed && !force_record) return removed;
        // The record goes only once the container is gone (or the admin said to forget it):
        // otherwise its GPUs and ports would be handed out while it still runs.
        if (auto gone = ctx.inventory.instances().remove(view.record.name); !gone) return gone;
        view.status = removed ? "removed" : "forgotten";
        return {};
    });
}

Result<InstanceCommand> instance_logs_command(OpsContext& ctx, const std::string& name, bool follow,
                                              std::optional<std::uint32_t> tail) {
    auto record = record_of(ctx, name);
    if (!record) return std::unexpected(record.error());
    auto node = node_of(ctx, *record);
    if (!node) return std::unexpected(node.error());
    auto runtime = runtime_of(*node);
    if (!runtime) return std::unexpected(runtime.error());
    return InstanceCommand{*node, logs_argv(runtime->kind(), name, follow, tail)};
}

Result<InstanceCommand> instance_exec_command(OpsContext& ctx, const std::string& name,
                                              const std::vector<std::string>& command) {
    if (command.empty()) return fail(ErrorKind::invalid_input, "instance exec: give the command after --");
    auto record = record_of(ctx, name);
    if (!record) return std::unexpected(record.error());
    auto node = node_of(ctx, *record);
    if (!node) return std::unexpected(node.error());
    auto runtime = runtime_of(*node);
    if (!runtime) return std::unexpected(runtime.error());
    auto argv = exec_argv(runtime->kind(), name, command, false);
    if (!argv) return std::unexpected(argv.error());
    return InstanceCommand{*node, *argv};
}

}  // namespace cc
