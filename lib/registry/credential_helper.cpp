// `docker-credential-NAME get`: spawned without a shell, the server name on
// stdin, the answer read up to a bound, killed after a timeout.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cctype>
#include <cstring>

#include "registry/docker_config.hpp"

extern char** environ;

namespace cc {

namespace {

constexpr std::size_t kMaxHelperOutput = 64 << 10;
constexpr auto kHelperTimeout = std::chrono::seconds(30);

bool valid_helper_name(const std::string& name) {
    if (name.empty() || name.size() > 64) return false;
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
    return true;
}

}  // namespace

Result<std::optional<Credentials>> run_credential_helper(const std::string& name, std::string_view server) {
    if (!valid_helper_name(name)) return fail(ErrorKind::config, fmt::format("invalid credential helper name \"{}\"", name));
    std::string program = "docker-credential-" + name;
    int in_pipe[2];
    int out_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) != 0) return fail(ErrorKind::io, "cannot create a pipe");
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
        ::close(in_pipe[0]);
        ::close(in_pipe[1]);
        return fail(ErrorKind::io, "cannot create a pipe");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    char* argv[] = {program.data(), const_cast<char*>("get"), nullptr};
    pid_t pid = 0;
    int spawned = ::posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    if (spawned != 0) {
        ::close(in_pipe[1]);
        ::close(out_pipe[0]);
        return fail(ErrorKind::config, fmt::format("cannot run credential helper {}: {}", program, std::strerror(spawned)));
    }
    // The server name is a few bytes: the pipe buffer takes it without blocking.
    std::string input(server);
    [[maybe_unused]] auto written = ::write(in_pipe[1], input.data(), input.size());
    ::close(in_pipe[1]);

    std::string output;
    bool overflow = false;
    bool timed_out = false;
    auto deadline = std::chrono::steady_clock::now() + kHelperTimeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timed_out = true;
            break;
        }
        pollfd fd{out_pipe[0], POLLIN, 0};
        int ready = ::poll(&fd, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) continue;
        char buffer[4096];
        ssize_t n = ::read(out_pipe[0], buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        if (output.size() + static_cast<std::size_t>(n) > kMaxHelperOutput) {
            overflow = true;
            break;
        }
        output.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(out_pipe[0]);
    if (timed_out || overflow) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (timed_out) return fail(ErrorKind::timeout, fmt::format("credential helper {} did not answer within 30 s", program));
    if (overflow) return fail(ErrorKind::auth, fmt::format("credential helper {} answered more than 64 KiB", program));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        // Helpers exit 1 with "credentials not found in native keychain" for an unknown server.
        if (output.find("not found") != std::string::npos || output.empty()) return std::optional<Credentials>{};
        return fail(ErrorKind::auth, fmt::format("credential helper {} failed", program));
    }
    auto credentials = parse_helper_answer(output);
    if (!credentials) return std::unexpected(credentials.error());
    return std::optional<Credentials>{std::move(*credentials)};
}

}  // namespace cc
