#include "ops/exec.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/broadcast_source.hpp"
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

NodeExecOutcome run_one(OpsContext& ctx, const Node& node, const std::string& command, const ExecRequest& request,
                        ByteSource& input) {
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
    return finish((*connection)->exec(command, input, ctx.settings.command_timeout, sink));
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

namespace {

// A heredoc delimiter that is no line of `text`.
std::string heredoc_delimiter(const std::string& text) {
    std::string framed = "\n" + text + "\n";
    for (int n = 0;; ++n) {
        std::string delimiter = fmt::format("CLUSTERCTL_LINE_END_{}", n);
        if (framed.find("\n" + delimiter + "\n") == std::string::npos) return delimiter;
    }
}

}  // namespace

std::string with_remote_deadline(const std::string& line, std::chrono::milliseconds deadline) {
    // libssh2 1.10 cannot signal a remote process, and closing the channel does
    // not stop one that writes nothing. So the node enforces the deadline too,
    // one second after ours (so our own `timeout` verdict comes first), with
    // coreutils/busybox `timeout` where the node has it.
    long long seconds = std::chrono::ceil<std::chrono::seconds>(deadline).count() + 1;
    if (line.size() <= kLongRemoteLine) {
        std::string quoted = shell_quote(line);
        return fmt::format(
            "if command -v timeout >/dev/null 2>&1; then exec timeout -k 5 {} sh -c {}; else exec sh -c {}; fi",
            seconds, quoted, quoted);
    }
    // Linux refuses an argument over 128 KiB, so a long line is not given to
    // `sh -c`: the shell reads it from a heredoc on fd 3 (stdin stays the
    // command's own) and evals it; the `.` keeps trailing newlines.
    std::string delimiter = heredoc_delimiter(line);
    return fmt::format(
        "set -- sh -c 'clusterctl_line=$(cat <&3; echo .); exec 3<&-; eval \"${{clusterctl_line%.}}\"' sh\n"
        "if command -v timeout >/dev/null 2>&1; then set -- timeout -k 5 {} \"$@\"; fi\n"
        "exec \"$@\" 3<<'{}'\n{}\n{}\n",
        seconds, delimiter, line, delimiter);
}

Result<std::vector<NodeExecOutcome>> exec_on_nodes(OpsContext& ctx, const ExecRequest& request) {
    auto line = exec_command_line(request);
    if (!line) return std::unexpected(line.error());
    const std::string command = with_remote_deadline(*line, ctx.settings.command_timeout);
    auto nodes = resolve_nodes(ctx, request.nodeset);
    if (!nodes) return std::unexpected(nodes.error());
    std::vector<NodeExecOutcome> outcomes(nodes->size());
    std::optional<BroadcastSource> stdin_copies;
    if (request.input)
        stdin_copies.emplace(*request.input, nodes->size(), static_cast<std::size_t>(std::max(ctx.settings.fanout, 1)));
    for_each_parallel(nodes->size(), ctx.settings.fanout, [&](std::size_t i) {
        MemorySource no_input("");
        outcomes[i] = run_one(ctx, (*nodes)[i], command, request, stdin_copies ? stdin_copies->reader(i) : no_input);
        if (stdin_copies) stdin_copies->detach(i);  // a node that is done never holds the others back
        if (request.on_done) request.on_done(outcomes[i]);
    });
    return outcomes;
}

}  // namespace cc
