// `clusterctl instance …`: containers owned by users, holding GPUs and host ports.
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "app.hpp"
#include "confirm.hpp"
#include "core/pipe_source.hpp"
#include "core/strings.hpp"
#include "core/terminal.hpp"
#include "core/units.hpp"
#include "exit_codes.hpp"
#include "nodeset_option.hpp"
#include "ops/exec.hpp"
#include "views/instance_view.hpp"

namespace cc::cli {

namespace {

template <class F>
std::function<void()> body(App& ctx, F f) {
    return [&ctx, f] {
        run_command(ctx, [&]() -> Result<int> {
            auto ops = ctx.ops();
            if (!ops) return std::unexpected(ops.error());
            return f(**ops, ctx.printer());
        });
    };
}

void print_instance(const Printer& p, const InstanceView& v) {
    if (p.format == Format::json) {
        p.json(instance_json(v));
        return;
    }
    auto kv = [&](const char* key, const std::string& value) { p.line(fmt::format("{:<10}{}", key, value)); };
    for (const auto& column : instance_columns())
        if (column.header) kv(fmt::format("{}:", column.header).c_str(), cell_text(column, v));
    for (const auto& [k, value] : v.labels) kv("LABEL:", k + "=" + value);
    if (!v.started_at.empty()) kv("STARTED:", v.started_at);
    if (!v.detail.empty()) kv("DETAIL:", v.detail);
}

void add_create(CLI::App& group, App& ctx) {
    auto req = std::make_shared<InstanceCreateRequest>();
    auto* cmd = group.add_subcommand("create", "start a container on a node, holding GPUs and host ports");
    cmd->add_option("name", req->name, "instance name ([a-zA-Z0-9][a-zA-Z0-9_.-]*), also the container's")->required();
    cmd->add_option("--image", req->image, "image the node's runtime runs (pushed to the node when it lacks it)")
        ->required();
    cmd->add_option("--node", req->node, "the node (default: one that fits, not cordoned)");
    cmd->add_option("--gpus", req->gpus, "a count of free GPUs, or GPU UUIDs (comma-separated)");
    cmd->add_option("--cpus", req->cpus, "CPU limit, fractional (0.5)");
    cmd->add_option("--memory", req->memory, "memory limit (64G)");
    cmd->add_option("--storage", req->storage, "root file system size, where the node's runtime can enforce it");
    cmd->add_option("-p,--publish", req->ports, "[HOST:]PORT[/udp]: a host port (default: free one from the range)")
        ->allow_extra_args(false);
    cmd->add_option("--owner", req->owner, "the user it belongs to (counted against their quota)");
    cmd->add_option("-e,--env", req->env, "K=V in the container's environment (repeatable)")
        ->allow_extra_args(false);
    cmd->add_option("-v,--volume", req->volumes, "SRC:DST[:ro] node path mounted in the container (repeatable)")
        ->allow_extra_args(false);
    cmd->add_option("--label", req->labels, "k=v label (repeatable)")
        ->allow_extra_args(false);
    cmd->add_option("--ttl", req->ttl, "how long it may live (recorded as expires_at)");
    cmd->add_option("--push-from", req->push_from, "image source pushed to the node when it lacks --image (default: --image)");
    cmd->add_option("command", req->command, "CMD ARGS… after --: the container's command");
    cmd->callback(body(ctx, [req](OpsContext& ops, const Printer& p) -> Result<int> {
        auto created = instance_create(ops, *req);
        if (!created) return std::unexpected(created.error());
        if (p.format == Format::json) {
            p.json(instance_json(*created));
        } else {
            p.line(fmt::format("created {} on {} (gpus: {}; ports: {}){}", created->record.name, created->record.node,
                               created->gpus.empty() ? "-" : join(created->gpus, ","), ports_text(created->ports),
                               created->image_pushed ? "; image pushed" : ""));
            if (created->record.storage_bytes > 0 && !created->record.storage_enforced)
                p.note(fmt::format("storage {} is not enforced: the runtime on {} cannot limit a container's root size",
                                   format_bytes(static_cast<std::uint64_t>(created->record.storage_bytes)),
                                   created->record.node));
        }
        return kExitOk;
    }));
}

void add_ls(CLI::App& group, App& ctx) {
    struct Options {
        std::string nodeset, owner;
    };
    auto opts = std::make_shared<Options>();
    auto* cmd = group.add_subcommand("ls", "list instances with their live status (running, exited, missing, …)");
    cmd->alias("list");
    add_nodeset_option(*cmd, "nodeset", opts->nodeset, "NODESET (default: all nodes)");
    add_nodeset_option(*cmd, "--node", opts->nodeset, "NODESET (the same as the positional)");
    cmd->add_option("--owner", opts->owner, "only this user's instances");
    cmd->callback(body(ctx, [opts](OpsContext& ops, const Printer& p) -> Result<int> {
        auto views = instance_list(ops, opts->nodeset, opts->owner);
        if (!views) return std::unexpected(views.error());
        p.list(*views, instance_columns());
        std::size_t unreachable = 0;
        for (const auto& v : *views) unreachable += v.status == "unreachable" ? 1 : 0;
        return unreachable ? kExitPartial : kExitOk;
    }));
}

void add_show(CLI::App& group, App& ctx) {
    auto name = std::make_shared<std::string>();
    auto* cmd = group.add_subcommand("show", "one instance: where, what it holds, its live status");
    cmd->add_option("name", *name, "instance name")->required();
    cmd->callback(body(ctx, [name](OpsContext& ops, const Printer& p) -> Result<int> {
        auto view = instance_show(ops, *name);
        if (!view) return std::unexpected(view.error());
        print_instance(p, *view);
        return view->status == "unreachable" ? kExitPartial : kExitOk;
    }));
}

int print_outcomes(const Printer& p, const std::vector<NodeResult<InstanceView>>& outcomes) {
    p.list(outcomes, instance_outcome_columns());
    return fanout_exit_code(outcomes);
}

void add_action(CLI::App& group, App& ctx, const char* verb, const char* help, InstanceAction action) {
    auto names = std::make_shared<std::vector<std::string>>();
    auto* cmd = group.add_subcommand(verb, help);
    cmd->add_option("names", *names, "instance names")->required();
    cmd->callback(body(ctx, [names, action](OpsContext& ops, const Printer& p) -> Result<int> {
        auto outcomes = instance_act(ops, *names, action);
        if (!outcomes) return std::unexpected(outcomes.error());
        return print_outcomes(p, *outcomes);
    }));
}

void add_rm(CLI::App& group, App& ctx) {
    struct Options {
        std::vector<std::string> names;
        bool yes = false, dry_run = false, forget = false;
    };
    auto opts = std::make_shared<Options>();
    auto* cmd = group.add_subcommand("rm", "remove instances: their containers, then their GPUs and ports");
    cmd->add_option("names", opts->names, "instance names")->required();
    cmd->add_flag("-y,--yes", opts->yes, "do not ask");
    cmd->add_flag("--dry-run", opts->dry_run, "show what would be removed");
    cmd->add_flag("--forget", opts->forget,
                  "drop the record even when the node cannot be reached (its container may still run there)");
    cmd->callback([&ctx, opts] {
        run_command(ctx, [&]() -> Result<int> {
            auto ops = ctx.ops();
            if (!ops) return std::unexpected(ops.error());
            ConfirmRequest ask;
            for (const auto& name : opts->names) {
                auto view = instance_show(**ops, name);
                if (!view) return std::unexpected(view.error());
                ask.plan.push_back(fmt::format("remove instance {} on {} ({}; gpus: {}; ports: {})", name,
                                               view->record.node, view->status.empty() ? "-" : view->status,
                                               view->gpus.empty() ? "-" : join(view->gpus, ","), ports_text(view->ports)));
            }
            ask.question = fmt::format("Remove {} instance(s)?", opts->names.size());
            ask.yes = opts->yes;
            ask.dry_run = opts->dry_run;
            auto decision = confirm(ctx.printer(), ask);
            if (decision == Confirmation::dry_run) return kExitOk;
            if (decision != Confirmation::proceed) return std::unexpected(not_confirmed(decision, "instance rm"));
            auto outcomes = instance_remove(**ops, opts->names, opts->forget);
            if (!outcomes) return std::unexpected(outcomes.error());
            return print_outcomes(ctx.printer(), *outcomes);
        });
    });
}

bool stdin_is_input() { return ::fcntl(STDIN_FILENO, F_GETFD) != -1 && !::isatty(STDIN_FILENO); }

// Runs an instance command on its node, its output passed through as it comes (escaped on a terminal).
Result<int> run_passthrough(OpsContext& ops, const InstanceCommand& command, bool with_stdin) {
    ExecRequest request;
    request.nodeset = command.node.name;
    request.argv = command.argv;
    PipeSource own_stdin(STDIN_FILENO, "stdin");
    if (with_stdin && stdin_is_input()) request.input = &own_stdin;
    bool out_tty = ::isatty(STDOUT_FILENO), err_tty = ::isatty(STDERR_FILENO);
    request.on_output = [&](const std::string&, int stream, std::string_view data) {
        FILE* to = stream == 0 ? stdout : stderr;
        std::string text = (stream == 0 ? out_tty : err_tty) ? terminal_safe(data, true) : std::string(data);
        std::fwrite(text.data(), 1, text.size(), to);
        std::fflush(to);
    };
    auto outcomes = exec_on_nodes(ops, request);
    if (!outcomes) return std::unexpected(outcomes.error());
    const auto& o = outcomes->front();
    if (o.value.exit_status) return *o.value.exit_status;
    if (o.status == NodeStatus::interrupted) return kExitInterrupted;
    return fail(o.error_kind.value_or(ErrorKind::remote), o.error);
}

void add_logs(CLI::App& group, App& ctx) {
    struct Options {
        std::string name;
        bool follow = false;
        std::optional<std::uint32_t> tail;
    };
    auto opts = std::make_shared<Options>();
    auto* cmd = group.add_subcommand("logs", "the container's output");
    cmd->add_option("name", opts->name, "instance name")->required();
    cmd->add_flag("-f,--follow", opts->follow, "keep printing new output until Ctrl-C");
    cmd->add_option("--tail", opts->tail, "only the last N lines");
    cmd->callback(body(ctx, [opts](OpsContext& ops, const Printer&) -> Result<int> {
        auto command = instance_logs_command(ops, opts->name, opts->follow, opts->tail);
        if (!command) return std::unexpected(command.error());
        // Following has no end of its own: only Ctrl-C (or the node going away) stops it.
        if (opts->follow) ops.settings.command_timeout = max_duration;
        return run_passthrough(ops, *command, false);
    }));
}

void add_exec(CLI::App& group, App& ctx) {
    struct Options {
        std::string name;
        std::vector<std::string> command;
    };
    auto opts = std::make_shared<Options>();
    auto* cmd = group.add_subcommand("exec", "run a command in the instance's container (stdin passed through)");
    cmd->add_option("name", opts->name, "instance name")->required();
    cmd->add_option("command", opts->command, "CMD ARGS… after --")->required();
    cmd->callback(body(ctx, [opts](OpsContext& ops, const Printer&) -> Result<int> {
        auto command = instance_exec_command(ops, opts->name, opts->command);
        if (!command) return std::unexpected(command.error());
        return run_passthrough(ops, *command, true);
    }));
}

}  // namespace

void add_instance_commands(CLI::App& app, App& ctx) {
    auto* group = app.add_subcommand("instance", "containers on nodes owned by users, with GPUs and port maps");
    group->require_subcommand(1);
    add_create(*group, ctx);
    add_ls(*group, ctx);
    add_show(*group, ctx);
    add_action(*group, ctx, "start", "start stopped instances", InstanceAction::start);
    add_action(*group, ctx, "stop", "stop instances (SIGTERM, then SIGKILL after 10 s); they keep their GPUs and ports",
               InstanceAction::stop);
    add_action(*group, ctx, "restart", "restart instances", InstanceAction::restart);
    add_rm(*group, ctx);
    add_logs(*group, ctx);
    add_exec(*group, ctx);
}

}  // namespace cc::cli
