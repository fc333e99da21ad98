#include "views/gpu_view.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace cc {

namespace {

using json = nlohmann::json;

template <class T>
std::string opt_text(const std::optional<T>& v, const char* unit = "") {
    return v ? fmt::format("{}{}", *v, unit) : "-";
}

std::string memory_text(const GpuSample& s) {
    if (!s.memory_total_mib) return "-";
    return fmt::format("{}/{} MiB", opt_text(s.memory_used_mib), *s.memory_total_mib);
}

std::string power_text(const GpuSample& s) {
    if (!s.power_draw_w && !s.power_limit_w) return "-";
    auto w = [](const std::optional<double>& v) { return v ? fmt::format("{:.0f}", *v) : std::string("-"); };
    return fmt::format("{}/{} W", w(s.power_draw_w), w(s.power_limit_w));
}

// A value of the row's GPU; null on a node-level row.
template <class F>
std::function<json(const GpuRow&)> sample(F get) {
    return [get](const GpuRow& r) -> json { return r.gpu ? json(get(r.gpu->sample)) : json(nullptr); };
}

template <class F>
std::function<std::string(const GpuRow&)> sample_text(F get) {
    return [get](const GpuRow& r) -> std::string { return r.gpu ? get(r.gpu->sample) : "-"; };
}

std::string node_row_text(const NodeResult<GpuNode>& n) {
    return fmt::format("({}{}{})", node_gpu_state_name(n.value.state), n.value.error.empty() ? "" : ": ", n.value.error);
}

Style name_style(const GpuRow& r) {
    if (r.gpu) return Style::none;
    return r.node->value.state == NodeGpuState::no_driver ? Style::dim : Style::bad;
}

// A GPU's processes; the GPU and node are said by the objects around them.
json processes_json(const GpuRow& r) {
    json out = json::array();
    for (const auto& p : r.gpu->processes)
        out.push_back(json_object(ProcessRow{r.node, r.gpu, &p}, process_columns(), {"node", "gpu_index", "gpu_uuid"}));
    return out;
}

// The container's name, else its short id.
std::string container_text(const ProcessRow& r) {
    const GpuProcess& p = *r.process;
    return cell_text(or_null(p.container_name.empty() ? p.container_id.substr(0, 12) : p.container_name));
}

json gpus_json(const NodeResult<GpuNode>& n) {
    json out = json::array();
    for (const auto& g : n.value.gpus) out.push_back(json_object(GpuRow{&n, &g}, gpu_columns(), {"node"}));
    return out;
}

}  // namespace

std::vector<GpuRow> gpu_rows(const std::vector<NodeResult<GpuNode>>& nodes) {
    std::vector<GpuRow> rows;
    for (const auto& n : nodes) {
        if (n.value.gpus.empty()) rows.push_back({&n, nullptr});
        for (const auto& g : n.value.gpus) rows.push_back({&n, &g});
    }
    return rows;
}

std::vector<ProcessRow> process_rows(const std::vector<NodeResult<GpuNode>>& nodes) {
    std::vector<ProcessRow> rows;
    for (const auto& n : nodes)
        for (const auto& g : n.value.gpus)
            for (const auto& p : g.processes) rows.push_back({&n, &g, &p});
    return rows;
}

const std::vector<Column<GpuRow>>& gpu_columns() {
    using R = GpuRow;
    using S = GpuSample;
    static const std::vector<Column<R>> columns = {
        {.header = "NODE", .json_key = "node", .value = [](const R& r) { return r.node->node; }},
        {.header = "GPU", .json_key = "index", .value = sample([](const S& s) { return s.index; })},
        {.header = "UUID", .json_key = "uuid",
         .value = sample([](const S& s) { return or_null(s.uuid); }),
         .wide_only = true},
        {.header = "NAME", .json_key = "name",
         .value = sample([](const S& s) { return or_null(s.name); }),
         .text = [](const R& r) { return r.gpu ? r.gpu->sample.name : node_row_text(*r.node); },
         .style = name_style},
        {.json_key = "pci_bus_id", .value = sample([](const S& s) { return or_null(s.pci_bus_id); })},
        {.header = "UTIL", .json_key = "utilization_gpu",
         .value = sample([](const S& s) { return or_null(s.utilization_gpu); }),
         .text = sample_text([](const S& s) { return opt_text(s.utilization_gpu, "%"); })},
        {.header = "MEMORY", .text = sample_text(memory_text)},
        {.json_key = "memory_used_mib", .value = sample([](const S& s) { return or_null(s.memory_used_mib); })},
        {.json_key = "memory_total_mib", .value = sample([](const S& s) { return or_null(s.memory_total_mib); })},
        {.header = "TEMP", .json_key = "temperature_c",
         .value = sample([](const S& s) { return or_null(s.temperature_c); }),
         .text = sample_text([](const S& s) { return opt_text(s.temperature_c, "C"); })},
        {.header = "POWER", .text = sample_text(power_text)},
        {.json_key = "power_draw_w", .value = sample([](const S& s) { return or_null(s.power_draw_w); })},
        {.json_key = "power_limit_w", .value = sample([](const S& s) { return or_null(s.power_limit_w); })},
        {.header = "MIG", .json_key = "mig_mode",
         .value = sample([](const S& s) { return or_null(s.mig_mode); }),
         .wide_only = true},
        {.header = "DRIVER", .json_key = "driver_version",
         .value = sample([](const S& s) { return or_null(s.driver_version); }),
         .wide_only = true},
        {.header = "HOLDER", .json_key = "holder",
         .value = [](const R& r) { return r.gpu ? or_null(r.gpu->holder) : json(nullptr); }},
        {.json_key = "processes", .value = processes_json},
    };
    return columns;
}

const std::vector<Column<GpuRow>>& free_gpu_columns() {
    static const std::vector<Column<GpuRow>> columns = [] {
        const std::vector<std::string_view> keys = {"node",           "index", "uuid", "name",
                                                    "memory_total_mib", "memory_used_mib"};
        std::vector<Column<GpuRow>> out = gpu_columns();
        for (auto& c : out)
            if (c.json_key && std::find(keys.begin(), keys.end(), c.json_key) == keys.end()) c.json_key = nullptr;
        return out;
    }();
    return columns;
}

const std::vector<Column<NodeResult<GpuNode>>>& gpu_node_fields() {
    using N = NodeResult<GpuNode>;
    static const std::vector<Column<N>> columns = {
        {.json_key = "node", .value = [](const N& n) { return n.node; }},
        {.json_key = "state", .value = [](const N& n) { return node_gpu_state_name(n.value.state); }},
        {.json_key = "vendor", .value = [](const N& n) { return or_null(n.value.vendor); }},
        {.json_key = "error", .value = [](const N& n) { return or_null(n.value.error); }},
        {.json_key = "gpus", .value = gpus_json},
    };
    return columns;
}

const std::vector<Column<ProcessRow>>& process_columns() {
    using R = ProcessRow;
    static const std::vector<Column<R>> columns = {
        {.header = "NODE", .json_key = "node", .value = [](const R& r) { return r.node->node; }},
        {.header = "GPU", .json_key = "gpu_index", .value = [](const R& r) { return r.gpu->sample.index; }},
        {.header = "UUID", .json_key = "gpu_uuid",
         .value = [](const R& r) { return or_null(r.gpu->sample.uuid); },
         .wide_only = true},
        {.header = "PID", .json_key = "pid", .value = [](const R& r) { return r.process->pid; }},
        {.header = "MEMORY", .json_key = "used_memory_mib",
         .value = [](const R& r) { return or_null(r.process->used_memory_mib); },
         .text = [](const R& r) { return opt_text(r.process->used_memory_mib, " MiB"); }},
        {.header = "PROCESS", .json_key = "process_name",
         .value = [](const R& r) { return or_null(r.process->process_name); }},
        {.header = "USER", .json_key = "user", .value = [](const R& r) { return or_null(r.process->user); }},
        {.header = "CONTAINER",
         .text = container_text},
        {.header = "CONTAINER_ID", .json_key = "container_id",
         .value = [](const R& r) { return or_null(r.process->container_id); },
         .wide_only = true},
        {.json_key = "container_name", .value = [](const R& r) { return or_null(r.process->container_name); }},
        {.json_key = "runtime", .value = [](const R& r) { return or_null(r.process->runtime); }},
        {.header = "INSTANCE", .json_key = "instance",
         .value = [](const R& r) { return or_null(r.process->instance); }},
        {.header = "OWNER", .json_key = "owner", .value = [](const R& r) { return or_null(r.process->owner); }},
    };
    return columns;
}

}  // namespace cc
