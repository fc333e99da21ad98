#include "ops/exec.hpp"

#include <fmt/format.h>

#include "core/interrupt.hpp"
#include "core/shell_quote.hpp"
#include "fanout/fanout.hpp"

namespace cc {

namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

ExecStatus exec_status_for(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::timeout: return ExecStatus::timeout;
        case ErrorKind::unreachable: return ExecStatus::unreachable;
        case ErrorKind::auth: return ExecStatus::auth;
        case ErrorKind::host_key: return ExecStatus::host_key;
        case ErrorKind::interrupted: return ExecStatus::interrupted;
        default: return ExecStatus::error;
    }
}

namespace {

NodeExecOutcome run_one(OpsContext& ctx, const Node& node, const std::string& command, const ExecRequest& request) {
    NodeExecOutcome outcome;
    outcome.node = node.name;
    auto start = Clock::now();
    auto finish = [&](Result<ExecResult> ran) {
        outcome.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
        if (!ran) {
            outcome.status = exec_status_for(ran.error().kind);
            outcome.error = ran.error().message;
            return outcome;
        }
        outcome.exit_status = ran->exit_status;
        outcome.exit_signal = ran->exit_signal;
        outcome.status = ran->exit_status == 0 && ran->exit_signal.empty() ? ExecStatus::ok : ExecStatus::failed;
        outcome.out = std::move(ran->out);
        outcome.err = std::move(ran->err);
        return outcome;
    };
    if (interrupt_requested()) return finish(fail(ErrorKind::interrupted, "interrupted before start"));
    auto connection = connect_pinned(ctx, node);
    if (!connection) return finish(std::unexpected(connection.error()));
    OutputSink sink;
    if (request.on_output)
        sink = [&](int stream, std::string_view data) { request.on_output(node.name, stream, data); };
    return finish((*connection)->exec(command, ctx.settings.command_timeout, sink));
}

}  // namespace

const char* exec_status_name(ExecStatus status) {
    switch (status) {
        case ExecStatus::ok: return "ok";
        case ExecStatus::failed: return "failed";
        case ExecStatus::timeout: return "timeout";
        case ExecStatus::unreachable: return "unreachable";
        case ExecStatus::auth: return "auth";
        case ExecStatus::host_key: return "host-key";
        case ExecStatus::error: return "error";
        case ExecStatus::interrupted: return "interrupted";
    }
    return "?";
}

Result<std::string> exec_command_line(const ExecRequest& request) {
    if (request.shell) {
        if (!request.argv.empty())
            return fail(ErrorKind::invalid_input, "give either --shell 'LINE' or -- CMD ARGS…, not both");
        if (request.shell->empty()) return fail(ErrorKind::invalid_input, "--shell needs a non-empty command line");
        return *request.shell;
    }
    if (request.argv.empty()) return fail(ErrorKind::invalid_input, "no command given (use -- CMD ARGS…)");
    return shell_join(request.argv);
}

std::string with_remote_deadline(const std::string& line, std::chrono::milliseconds deadline) {
    // libssh2 1.10 cannot signal a remote process, and closing the channel does
    // not stop one that writes nothing. So the node enforces the deadline too,
    // one second after ours (so our own `timeout` verdict comes first), with
    // coreutils/busybox `timeout` where the node has it.
    long long seconds = std::chrono::ceil<std::chrono::seconds>(deadline).count() + 1;
    std::string quoted = shell_quote(line);
    return fmt::format("if command -v timeout >/dev/null 2>&1; then exec timeout -k 5 {} sh -c {}; else exec sh -c {}; fi",
                       seconds, quoted, quoted);
}

Result<std::vector<NodeExecOutcome>> exec_on_nodes(OpsContext& ctx, const ExecRequest& request) {
    auto line = exec_command_line(request);
    if (!line) return std::unexpected(line.error());
    const std::string command = with_remote_deadline(*line, ctx.settings.command_timeout);
    auto nodes = resolve_nodes(ctx, request.nodeset);
    if (!nodes) return std::unexpected(nodes.error());
    std::vector<NodeExecOutcome> outcomes(nodes->size());
    for_each_parallel(nodes->size(), ctx.settings.fanout, [&](std::size_t i) {
        outcomes[i] = run_one(ctx, (*nodes)[i], command, request);
        if (request.on_done) request.on_done(outcomes[i]);
    });
    return outcomes;
}

}  // namespace cc
