// Command lines too long for one SSH exec request (libssh2 1.10 fails past
// ~17 KB) or for one argument (Linux: 128 KiB) travel on stdin and through a
// heredoc. These run the exact shell text clusterctl sends under /bin/sh, the
// way sshd runs it: `$SHELL -c COMMAND` with the channel as stdin.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <sys/wait.h>

#include "core/shell_quote.hpp"
#include "remote/command.hpp"
#include "ssh/ssh_connection.hpp"
#include "temp_dir.hpp"

namespace {

struct Ran {
    int status = -1;
    std::string out;
};

// `/bin/sh -c command` with `stdin_bytes` as its stdin, as a node's sshd would run it.
Ran run_sh(const std::string& command, const std::string& stdin_bytes) {
    TempDir dir;
    std::string input = dir.write("stdin", stdin_bytes);
    std::string line = "/bin/sh -c " + cc::shell_quote(command) + " < " + cc::shell_quote(input);
    Ran ran;
    FILE* pipe = ::popen(line.c_str(), "r");
    REQUIRE(pipe);
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) ran.out.append(buffer, n);
    int status = ::pclose(pipe);
    ran.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return ran;
}

// What a node runs for `exec --shell LINE` with `input` on stdin: the deadline
// wrapper, sent on stdin when it is too long for the exec request.
Ran run_like_a_node(const std::string& line, const std::string& input,
                    std::chrono::milliseconds deadline = std::chrono::seconds(60)) {
    std::string command = cc::with_remote_deadline(line, deadline);
    if (command.size() <= cc::ssh::kLongCommand) return run_sh(command, input);
    return run_sh(cc::ssh::command_from_stdin(command.size(), !input.empty()), command + input);
}

std::string long_comment(std::size_t bytes) { return " # " + std::string(bytes, 'x'); }

}  // namespace

TEST_CASE("a 200 KB shell line runs on a node and its output is right") {
    std::string line = "echo start; echo $((6*7))" + long_comment(200'000) + "\nprintf 'end\\n'";
    REQUIRE(line.size() > 128 * 1024);  // over the kernel's limit for one argument, too
    auto ran = run_like_a_node(line, "");
    CHECK(ran.status == 0);
    CHECK(ran.out == "start\n42\nend\n");
}

TEST_CASE("a long line's own stdin is exactly the input sent after it") {
    std::string line = "wc -c; echo done" + long_comment(50'000);
    CHECK(run_like_a_node(line, "").out == "0\ndone\n");
    auto ran = run_like_a_node("cat; echo" + long_comment(50'000), "input line 1\nline 2 without newline");
    CHECK(ran.out == "input line 1\nline 2 without newline\n");
}

TEST_CASE("a long line keeps its exit status, quotes and trailing newlines") {
    std::string text(40'000, 'q');
    auto ran = run_like_a_node("printf '%s|' \"it's\" '" + text + "' 'a\n\n'; exit 7\n\n", "");
    CHECK(ran.status == 7);
    CHECK(ran.out == "it's|" + text + "|a\n\n|");
}

TEST_CASE("a line holding the heredoc delimiter on a line of its own still runs whole") {
    std::string line = "cat <<'CLUSTERCTL_LINE_END_0'\nCLUSTERCTL_LINE_END_1\nCLUSTERCTL_LINE_END_0\necho after" +
                       long_comment(20'000);
    auto ran = run_like_a_node(line, "");
    CHECK(ran.out == "CLUSTERCTL_LINE_END_1\nafter\n");
}

TEST_CASE("a long line is still stopped by the node at its deadline") {
    auto start = std::chrono::steady_clock::now();
    auto ran = run_like_a_node("sleep 30" + long_comment(20'000), "", std::chrono::milliseconds(1));
    CHECK(ran.status == 124);  // timeout(1)'s status: the node cut it, 1 s after our 1 ms deadline
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
}

TEST_CASE("short lines are sent as they were: one sh -c in the exec request") {
    std::string command = cc::with_remote_deadline("uname -n", std::chrono::seconds(5));
    CHECK(command.size() < cc::ssh::kLongCommand);
    CHECK(command.find("sh -c 'uname -n'") != std::string::npos);
    CHECK(run_like_a_node("echo $((1+1)); cat", "in").out == "2\nin");
}
