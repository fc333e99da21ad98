#include "ops/exec.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/shell_quote.hpp"

namespace cc {

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

Result<std::vector<NodeResult<ExecOutput>>> exec_on_nodes(OpsContext& ctx, const ExecRequest& request) {
    auto line = exec_command_line(request);
    if (!line) return std::unexpected(line.error());
    const std::string command = with_remote_deadline(*line, ctx.settings.command_timeout);
    auto nodes = resolve_nodes(ctx, request.nodeset);
    if (!nodes) return std::unexpected(nodes.error());
    const std::uint64_t cap = ctx.settings.exec_max_output;
    NodeWork<ExecOutput> work = [&](Connection& connection, const Node& node, ExecOutput& output) -> Result<NodeStatus> {
        // Gathered output is capped per stream; what is past the cap is still
        // read and dropped, so the remote never blocks on a full channel.
        OutputSink sink = [&](int stream, std::string_view data) {
            if (request.on_output) return request.on_output(node.name, stream, data);
            std::string& kept = stream == 0 ? output.out : output.err;
            std::size_t room = cap > kept.size() ? static_cast<std::size_t>(cap - kept.size()) : 0;
            if (data.size() > room) output.truncated = true;
            kept.append(data.substr(0, std::min(room, data.size())));
        };
        auto ran = connection.exec(command, ctx.settings.command_timeout, sink);
        if (!ran) return std::unexpected(ran.error());
        output.exit_status = ran->exit_status;
        output.exit_signal = ran->exit_signal;
        return ran->exit_status == 0 && ran->exit_signal.empty() ? NodeStatus::ok : NodeStatus::failed;
    };
    return run_on_nodes(ctx, *nodes, work, request.on_done);
}

}  // namespace cc
