#include "ops/exec.hpp"

#include <algorithm>

#include "core/interrupt.hpp"
#include "fanout/fanout.hpp"
#include "remote/command.hpp"

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
        return outcome;
    };
    if (interrupt_requested()) return finish(fail(ErrorKind::interrupted, "interrupted before start"));
    auto connection = connect_pinned(ctx, node);
    if (!connection) return finish(std::unexpected(connection.error()));
    // Gathered output is capped per stream; what is past the cap is still read
    // and dropped, so the remote never blocks on a full channel.
    const std::uint64_t cap = ctx.settings.exec_max_output;
    OutputSink sink = [&](int stream, std::string_view data) {
        if (request.on_output) return request.on_output(node.name, stream, data);
        std::string& kept = stream == 0 ? outcome.out : outcome.err;
        std::size_t room = cap > kept.size() ? static_cast<std::size_t>(cap - kept.size()) : 0;
        if (data.size() > room) outcome.truncated = true;
        kept.append(data.substr(0, std::min(room, data.size())));
    };
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

Result<std::vector<NodeExecOutcome>> exec_on_nodes(OpsContext& ctx, const ExecRequest& request) {
    auto line = exec_command_line(request.argv, request.shell);
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
