#include "ops/gpu_status.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>


namespace cc {

namespace {

GpuProcess describe_process(const GpuProcessSample& p, const NodeGpuReport& report,
                            const std::map<std::string, const InstanceRecord*>& instances) {
    GpuProcess out;
    out.pid = p.pid;
    out.used_memory_mib = p.used_memory_mib;
    out.process_name = p.process_name;
    if (auto owner = report.owners.find(p.pid); owner != report.owners.end()) {
        out.user = owner->second.user;
        if (auto ref = container_from_cgroup(owner->second.cgroup)) {
            out.container_id = ref->id;
            out.runtime = ref->runtime;
            if (auto name = report.container_names.find(ref->id); name != report.container_names.end())
                out.container_name = name->second;
            if (auto rt = report.container_runtimes.find(ref->id); rt != report.container_runtimes.end())
                out.runtime = rt->second;
        }
    }
    if (auto inst = instances.find(out.container_name); !out.container_name.empty() && inst != instances.end()) {
        out.instance = inst->second->name;
        out.owner = inst->second->owner;
    }
    return out;
}

std::string holder_of(const GpuProcess& p) {
    if (!p.instance.empty()) return p.owner.empty() ? p.instance : fmt::format("{} ({})", p.instance, p.owner);
    if (!p.container_name.empty()) return p.container_name;
    if (!p.container_id.empty()) return p.container_id.substr(0, 12);
    return p.user.empty() ? fmt::format("pid {}", p.pid) : p.user;
}

}  // namespace

const char* node_gpu_state_name(NodeGpuState state) {
    switch (state) {
        case NodeGpuState::ok: return "ok";
        case NodeGpuState::no_gpu: return "no-gpu";
        case NodeGpuState::no_driver: return "no-driver";
        case NodeGpuState::driver_error: return "driver-error";
        case NodeGpuState::unreachable: return "unreachable";
    }
    return "?";
}

std::vector<GpuView> join_gpu_report(const NodeGpuReport& report, const std::vector<InstanceRecord>& instances) {
    std::map<std::string, const InstanceRecord*> by_name;
    for (const auto& i : instances) by_name[i.name] = &i;
    std::vector<GpuView> views;
    for (const auto& gpu : report.gpus) {
        GpuView view{gpu, {}, ""};
        std::vector<std::string> holders;
        for (const auto& p : report.processes) {
            // MIG processes may name the parent GPU or a MIG device of it.
            if (p.gpu_uuid != gpu.uuid) continue;
            view.processes.push_back(describe_process(p, report, by_name));
            std::string h = holder_of(view.processes.back());
            if (std::find(holders.begin(), holders.end(), h) == holders.end()) holders.push_back(h);
        }
        for (const auto& h : holders) view.holder += (view.holder.empty() ? "" : ", ") + h;
        views.push_back(std::move(view));
    }
    return views;
}

std::vector<std::pair<const NodeResult<GpuNode>*, const GpuView*>> free_gpus(
    const std::vector<NodeResult<GpuNode>>& nodes, std::uint64_t min_free_mib) {
    std::vector<std::pair<const NodeResult<GpuNode>*, const GpuView*>> out;
    for (const auto& n : nodes)
        for (const auto& g : n.value.gpus) {
            std::uint64_t total = g.sample.memory_total_mib.value_or(0);
            std::uint64_t free_mib = total - std::min(total, g.sample.memory_used_mib.value_or(0));
            if (g.processes.empty() && free_mib >= min_free_mib) out.emplace_back(&n, &g);
        }
    return out;
}

Result<std::vector<NodeResult<GpuNode>>> gpu_status(OpsContext& ctx, const std::string& nodeset) {
    auto nodes = resolve_nodes(ctx, nodeset);
    if (!nodes) return std::unexpected(nodes.error());
    auto instances = ctx.inventory.instances().list();
    if (!instances) return std::unexpected(instances.error());
    NodeWork<GpuNode> ask = [&](Connection& connection, const Node& node, GpuNode& status) -> Result<NodeStatus> {
        auto report = read_node_gpu(connection, ctx.settings.command_timeout);
        if (!report && report.error().kind != ErrorKind::remote) return std::unexpected(report.error());
        if (!report) return fail(ErrorKind::remote, fmt::format("node \"{}\": {}", node.name, report.error().message));
        status.vendor = report->vendor;
        std::vector<InstanceRecord> mine;
        for (const auto& inst : *instances)
            if (inst.node == node.name) mine.push_back(inst);
        status.gpus = join_gpu_report(*report, mine);
        status.error = report->error;
        if (report->vendor == "none") status.state = NodeGpuState::no_driver;
        else if (!report->error.empty() && status.gpus.empty()) status.state = NodeGpuState::driver_error;
        else if (status.gpus.empty()) status.state = NodeGpuState::no_gpu;
        else status.state = NodeGpuState::ok;
        return status.state == NodeGpuState::driver_error ? NodeStatus::failed : NodeStatus::ok;
    };
    auto out = run_on_nodes(ctx, *nodes, ask);
    for (auto& n : out)
        if (n.error_kind) n.value.error = n.error;  // the node could not be asked: state stays unreachable
    return out;
}

}  // namespace cc
