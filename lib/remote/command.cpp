#include "remote/command.hpp"

#include <fmt/format.h>

#include "core/shell_quote.hpp"

namespace cc {

Result<std::string> exec_command_line(const std::vector<std::string>& argv, const std::optional<std::string>& shell) {
    if (shell) {
        if (!argv.empty()) return fail(ErrorKind::invalid_input, "give either --shell 'LINE' or -- CMD ARGS…, not both");
        if (shell->empty()) return fail(ErrorKind::invalid_input, "--shell needs a non-empty command line");
        return *shell;
    }
    if (argv.empty()) return fail(ErrorKind::invalid_input, "no command given (use -- CMD ARGS…)");
    return shell_join(argv);
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

std::string remote_command(const std::vector<std::string>& argv, std::chrono::milliseconds deadline) {
    return with_remote_deadline(shell_join(argv), deadline);
}

}  // namespace cc
