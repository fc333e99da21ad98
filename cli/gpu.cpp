// `clusterctl gpu status|ps|free`: who is using which GPU, across the cluster.
#include <chrono>
#include <cstdio>
#include <thread>
#include <unistd.h>

#include <fmt/format.h>

#include "app.hpp"
#include "core/interrupt.hpp"
#include "core/units.hpp"
#include "exit_codes.hpp"
#include "ops/gpu_status.hpp"

namespace cc::cli {

namespace {

template <class T>
nlohmann::json opt(const std::optional<T>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

template <class T>
std::string opt_text(const std::optional<T>& v, const char* unit = "") {
    return v ? fmt::format("{}{}", *v, unit) : "-";
}

nlohmann::json process_json(const GpuProcess& p) {
    return {{"pid", p.pid},           {"used_memory_mib", opt(p.used_memory_mib)},
            {"process_name", p.process_name}, {"user", p.user},
            {"container_id", p.container_id}, {"container_name", p.container_name},
            {"runtime", p.runtime},   {"instance", p.instance},
            {"owner", p.owner}};
}

nlohmann::json status_json(const NodeResult<GpuNode>& s) {
    nlohmann::json gpus = nlohmann::json::array();
    for (const auto& g : s.value.gpus) {
        nlohmann::json procs = nlohmann::json::array();
        for (const auto& p : g.processes) procs.push_back(process_json(p));
        const GpuSample& x = g.sample;
        gpus.push_back({{"index", x.index},
                        {"uuid", x.uuid},
                        {"name", x.name},
                        {"pci_bus_id", x.pci_bus_id},
                        {"utilization_gpu", opt(x.utilization_gpu)},
                        {"memory_used_mib", opt(x.memory_used_mib)},
                        {"memory_total_mib", opt(x.memory_total_mib)},
                        {"temperature_c", opt(x.temperature_c)},
                        {"power_draw_w", opt(x.power_draw_w)},
                        {"power_limit_w", opt(x.power_limit_w)},
                        {"mig_mode", x.mig_mode},
                        {"driver_version", x.driver_version},
                        {"holder", g.holder},
                        {"processes", procs}});
    }
    return {{"node", s.node},
            {"state", node_gpu_state_name(s.value.state)},
            {"vendor", s.value.vendor},
            {"error", s.value.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.value.error)},
            {"gpus", gpus}};
}

// One row per GPU; a node without GPUs gets one row saying why.
struct GpuRow {
    const NodeResult<GpuNode>* node;
    const GpuView* gpu;  // null for a node-level row
};

std::vector<GpuRow> gpu_rows(const std::vector<NodeResult<GpuNode>>& nodes) {
    std::vector<GpuRow> rows;
    for (const auto& n : nodes) {
        if (n.value.gpus.empty()) rows.push_back({&n, nullptr});
        for (const auto& g : n.value.gpus) rows.push_back({&n, &g});
    }
    return rows;
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

const std::vector<Column<GpuRow>>& status_columns() {
    auto gpu = [](auto get) {
        return [get](const GpuRow& r) -> std::string { return r.gpu ? get(r.gpu->sample) : "-"; };
    };
    static const std::vector<Column<GpuRow>> columns = {
        {"NODE", false, [](const GpuRow& r) { return r.node->node; }},
        {"GPU", false, [](const GpuRow& r) { return r.gpu ? std::to_string(r.gpu->sample.index) : std::string("-"); }},
        {"UUID", true, gpu([](const GpuSample& s) { return s.uuid; })},
        {"NAME", false, [](const GpuRow& r) {
             if (r.gpu) return r.gpu->sample.name;
             return fmt::format("({}{}{})", node_gpu_state_name(r.node->value.state),
                                r.node->value.error.empty() ? "" : ": ", r.node->value.error);
         },
         [](const GpuRow& r) { return r.gpu ? Style::none : r.node->value.state == NodeGpuState::no_driver ? Style::dim : Style::bad; }},
        {"UTIL", false, gpu([](const GpuSample& s) { return opt_text(s.utilization_gpu, "%"); })},
        {"MEMORY", false, gpu(memory_text)},
        {"TEMP", false, gpu([](const GpuSample& s) { return opt_text(s.temperature_c, "C"); })},
        {"POWER", false, gpu(power_text)},
        {"MIG", true, gpu([](const GpuSample& s) { return s.mig_mode.empty() ? std::string("-") : s.mig_mode; })},
        {"DRIVER", true, gpu([](const GpuSample& s) { return s.driver_version; })},
        {"HOLDER", false, [](const GpuRow& r) { return r.gpu && !r.gpu->holder.empty() ? r.gpu->holder : std::string("-"); }},
    };
    return columns;
}

struct ProcessRow {
    const NodeResult<GpuNode>* node;
    const GpuView* gpu;
    const GpuProcess* process;
};

const std::vector<Column<ProcessRow>>& ps_columns() {
    auto dash = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
    static const std::vector<Column<ProcessRow>> columns = {
        {"NODE", false, [](const ProcessRow& r) { return r.node->node; }},
        {"GPU", false, [](const ProcessRow& r) { return std::to_string(r.gpu->sample.index); }},
        {"UUID", true, [](const ProcessRow& r) { return r.gpu->sample.uuid; }},
        {"PID", false, [](const ProcessRow& r) { return std::to_string(r.process->pid); }},
        {"MEMORY", false, [](const ProcessRow& r) { return opt_text(r.process->used_memory_mib, " MiB"); }},
        {"PROCESS", false, [](const ProcessRow& r) { return r.process->process_name; }},
        {"USER", false, [dash](const ProcessRow& r) { return dash(r.process->user); }},
        {"CONTAINER", false, [dash](const ProcessRow& r) {
             return dash(r.process->container_name.empty() ? r.process->container_id.substr(0, 12) : r.process->container_name);
         }},
        {"CONTAINER_ID", true, [dash](const ProcessRow& r) { return dash(r.process->container_id); }},
        {"INSTANCE", false, [dash](const ProcessRow& r) { return dash(r.process->instance); }},
        {"OWNER", false, [dash](const ProcessRow& r) { return dash(r.process->owner); }},
    };
    return columns;
}

bool sleep_interruptibly(std::chrono::milliseconds d) {
    auto until = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < until) {
        if (interrupt_requested()) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return !interrupt_requested();
}

void add_status(CLI::App& group, App& ctx) {
    struct Options {
        std::string nodeset = "@all";
        std::string watch;
    };
    auto opts = std::make_shared<Options>();
    auto* cmd = group.add_subcommand("status", "GPU use per node: utilization, memory, temperature, power, holder");
    cmd->add_option("nodeset", opts->nodeset, "NODESET (default @all)");
    cmd->add_option("--watch", opts->watch, "refresh every DURATION (redraws in place on a terminal)");
    cmd->callback([&ctx, opts] {
        run_command(ctx, [&]() -> Result<int> {
            std::optional<std::chrono::milliseconds> every;
            if (!opts->watch.empty()) {
                auto d = parse_duration(opts->watch);
                if (!d) return std::unexpected(d.error());
                if (d->count() < 100) return fail(ErrorKind::invalid_input, fmt::format("--watch {} is too short", opts->watch));
                every = *d;
            }
            auto ops = ctx.ops();
            if (!ops) return std::unexpected(ops.error());
            const Printer& p = ctx.printer();
            bool redraw = every && ::isatty(STDOUT_FILENO) && p.format != Format::json;
            for (;;) {
                auto nodes = gpu_status(**ops, opts->nodeset);
                if (!nodes) return std::unexpected(nodes.error());
                if (redraw) std::fputs("\x1b[H\x1b[2J", stdout);
                if (every && !redraw && p.format != Format::json) p.line("# " + utc_now_iso8601());
                if (p.format == Format::json) {
                    nlohmann::json out = nlohmann::json::array();
                    for (const auto& n : *nodes) out.push_back(status_json(n));
                    p.json(out);
                } else {
                    p.rows(gpu_rows(*nodes), status_columns());
                }
                std::fflush(stdout);
                if (!every) return fanout_exit_code(*nodes);
                if (!sleep_interruptibly(*every)) return kExitInterrupted;
            }
        });
    });
}

void add_ps(CLI::App& group, App& ctx) {
    auto nodeset = std::make_shared<std::string>("@all");
    auto* cmd = group.add_subcommand("ps", "every GPU process: node, GPU, pid, memory, user, container, instance, owner");
    cmd->add_option("nodeset", *nodeset, "NODESET (default @all)");
    cmd->callback([&ctx, nodeset] {
        run_command(ctx, [&]() -> Result<int> {
            auto ops = ctx.ops();
            if (!ops) return std::unexpected(ops.error());
            auto nodes = gpu_status(**ops, *nodeset);
            if (!nodes) return std::unexpected(nodes.error());
            std::vector<ProcessRow> rows;
            for (const auto& n : *nodes)
                for (const auto& g : n.value.gpus)
                    for (const auto& proc : g.processes) rows.push_back({&n, &g, &proc});
            const Printer& p = ctx.printer();
            if (p.format == Format::json) {
                nlohmann::json out = nlohmann::json::array();
                for (const auto& r : rows) {
                    nlohmann::json j = process_json(*r.process);
                    j["node"] = r.node->node;
                    j["gpu_index"] = r.gpu->sample.index;
                    j["gpu_uuid"] = r.gpu->sample.uuid;
                    out.push_back(j);
                }
                p.json(out);
            } else {
                p.rows(rows, ps_columns());
            }
            for (const auto& n : *nodes)
                if (n.value.state == NodeGpuState::unreachable || n.value.state == NodeGpuState::driver_error)
                    p.note(fmt::format("{}: [{}] {}", n.node, node_gpu_state_name(n.value.state), n.value.error));
            return fanout_exit_code(*nodes);
        });
    });
}

void add_free(CLI::App& group, App& ctx) {
    struct Options {
        std::string nodeset = "@all";
        std::string min_memory;
    };
    auto opts = std::make_shared<Options>();
    auto* cmd = group.add_subcommand("free", "GPUs with no process on them");
    cmd->add_option("nodeset", opts->nodeset, "NODESET (default @all)");
    cmd->add_option("--min-memory", opts->min_memory, "only GPUs with at least this much free memory, e.g. 40G");
    cmd->callback([&ctx, opts] {
        run_command(ctx, [&]() -> Result<int> {
            std::uint64_t min_mib = 0;
            if (!opts->min_memory.empty()) {
                auto size = parse_size(opts->min_memory);
                if (!size) return std::unexpected(size.error());
                min_mib = *size >> 20;
            }
            auto ops = ctx.ops();
            if (!ops) return std::unexpected(ops.error());
            auto nodes = gpu_status(**ops, opts->nodeset);
            if (!nodes) return std::unexpected(nodes.error());
            std::vector<GpuRow> rows;
            for (const auto& [node, gpu] : free_gpus(*nodes, min_mib)) rows.push_back({node, gpu});
            const Printer& p = ctx.printer();
            if (p.format == Format::json) {
                nlohmann::json out = nlohmann::json::array();
                for (const auto& r : rows)
                    out.push_back({{"node", r.node->node}, {"index", r.gpu->sample.index}, {"uuid", r.gpu->sample.uuid},
                                   {"name", r.gpu->sample.name}, {"memory_total_mib", opt(r.gpu->sample.memory_total_mib)},
                                   {"memory_used_mib", opt(r.gpu->sample.memory_used_mib)}});
                p.json(out);
            } else {
                p.rows(rows, status_columns());
            }
            p.note(fmt::format("{} free GPU(s)", rows.size()));
            return fanout_exit_code(*nodes);
        });
    });
}

}  // namespace

void add_gpu_commands(CLI::App& app, App& ctx) {
    auto* group = app.add_subcommand("gpu", "GPU use per node, per user and per task");
    group->require_subcommand(1);
    add_status(*group, ctx);
    add_ps(*group, ctx);
    add_free(*group, ctx);
}

}  // namespace cc::cli
