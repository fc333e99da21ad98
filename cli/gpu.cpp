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
#include "nodeset_option.hpp"
#include "ops/gpu_status.hpp"
#include "views/gpu_view.hpp"

namespace cc::cli {

namespace {

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
    add_nodeset_option(*cmd, "nodeset", opts->nodeset, "NODESET (default @all)");
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
                if (p.format == Format::json) p.json(json_array(*nodes, gpu_node_fields()));
                else p.table(gpu_rows(*nodes), gpu_columns());
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
    add_nodeset_option(*cmd, "nodeset", *nodeset, "NODESET (default @all)");
    cmd->callback([&ctx, nodeset] {
        run_command(ctx, [&]() -> Result<int> {
            auto ops = ctx.ops();
            if (!ops) return std::unexpected(ops.error());
            auto nodes = gpu_status(**ops, *nodeset);
            if (!nodes) return std::unexpected(nodes.error());
            const Printer& p = ctx.printer();
            p.list(process_rows(*nodes), process_columns());
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
    add_nodeset_option(*cmd, "nodeset", opts->nodeset, "NODESET (default @all)");
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
            p.list(rows, free_gpu_columns());
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
