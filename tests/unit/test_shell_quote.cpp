#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "core/shell_quote.hpp"

using namespace cc;
using Args = std::vector<std::string>;

namespace {

struct ShellRun {
    int exit_code = -1;
    std::string out;
};

// Runs `shell -c script` the way sshd hands a command line to the login shell.
ShellRun run_shell(const char* shell, const std::string& script) {
    int pipe_fds[2];
    REQUIRE(pipe(pipe_fds) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        dup2(pipe_fds[1], STDOUT_FILENO);
        close(pipe_fds[0]);
        close(pipe_fds[1]);
        execl(shell, shell, "-c", script.c_str(), static_cast<char*>(nullptr));
        _exit(126);
    }
    close(pipe_fds[1]);
    ShellRun run;
    char buffer[4096];
    for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;) run.out.append(buffer, n);
    close(pipe_fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
}

// The arguments a shell actually received from a joined command line:
// printf writes each one followed by a NUL, which no argument can contain.
Args received(const char* shell, const Args& args) {
    Args argv{"printf", "%s\\0"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto run = run_shell(shell, shell_join(argv));
    REQUIRE(run.exit_code == 0);
    Args got;
    for (std::size_t start = 0, nul; (nul = run.out.find('\0', start)) != std::string::npos; start = nul + 1)
        got.push_back(run.out.substr(start, nul - start));
    return got;
}

const Args tricky_args{
    "it's",       "'",          "''",         "\"double\"", "$(echo pwned)", "`id`",    "$HOME",
    "${PATH}",    "a;b",        "a && b",     "a|b",        "line1\nline2",        "*",       "/etc/*",
    "?",          "[a-z]",      "~",          "~root",      "-n",                  "--help",  "-",
    "a b",        "  padded  ", "tab\there",  "zürich ✓",   "\\",                  "\\n",     "!",
    "#comment",   "a#b",        "{a,b}",      "x=1",        "=cmd",                "%s",      "&",
    "<in",        ">out",       "(sub)",      "\r",         "\x7f\x01\xff",        "",
};

std::vector<const char*> shells() {
    std::vector<const char*> found{"/bin/sh"};
    if (access("/bin/bash", X_OK) == 0) found.push_back("/bin/bash");
    if (access("/bin/zsh", X_OK) == 0) found.push_back("/bin/zsh");
    return found;
}

}  // namespace

TEST_CASE("arguments made of safe characters stay bare") {
    CHECK(shell_quote("gpu01") == "gpu01");
    CHECK(shell_quote("/usr/bin/nvidia-smi") == "/usr/bin/nvidia-smi");
    CHECK(shell_quote("--format=csv,noheader") == "--format=csv,noheader");
    CHECK(shell_quote("user@host:/tmp/a_b.c+%") == "user@host:/tmp/a_b.c+%");
    CHECK(shell_quote("-n") == "-n");
}

TEST_CASE("an empty argument becomes a pair of single quotes") { CHECK(shell_quote("") == "''"); }

TEST_CASE("other arguments are single-quoted with each quote written as '\\''") {
    CHECK(shell_quote("a b") == "'a b'");
    CHECK(shell_quote("$(id)") == "'$(id)'");
    CHECK(shell_quote("it's") == "'it'\\''s'");
    CHECK(shell_quote("'") == "''\\'''");
    CHECK(shell_quote("~") == "'~'");
    CHECK(shell_quote("zürich") == "'zürich'");
}

TEST_CASE("a leading equals sign is quoted because zsh expands =cmd") {
    CHECK(shell_quote("=ls") == "'=ls'");
    CHECK(shell_quote("a=b") == "a=b");
}

TEST_CASE("shell_join separates quoted arguments by single spaces") {
    CHECK(shell_join({"echo", "a b", "", "c"}) == "echo 'a b' '' c");
    CHECK(shell_join({}).empty());
}

TEST_CASE("a first word that looks like an assignment is quoted so it runs as a command") {
    CHECK(shell_join({"A=b", "x=y"}) == "'A=b' x=y");
    CHECK(run_shell("/bin/sh", "A=b").exit_code == 0);  // what a bare word would do: set a variable
    CHECK(run_shell("/bin/sh", shell_join({"A=b"}) + " 2>/dev/null").exit_code == 127);
}

TEST_CASE("each tricky argument reaches the shell byte for byte") {
    for (const char* shell : shells())
        for (const auto& arg : tricky_args) {
            CAPTURE(shell);
            CAPTURE(arg);
            CHECK(received(shell, {arg}) == Args{arg});
        }
}

TEST_CASE("a whole argv of tricky arguments reaches the shell intact and in order") {
    for (const char* shell : shells()) {
        CAPTURE(shell);
        CHECK(received(shell, tricky_args) == tricky_args);
    }
}

TEST_CASE("every byte but NUL survives quoting") {
    std::string all_bytes;
    for (int c = 1; c < 256; ++c) all_bytes += static_cast<char>(c);
    for (const char* shell : shells()) {
        CAPTURE(shell);
        CHECK(received(shell, {all_bytes, all_bytes + "'"}) == Args{all_bytes, all_bytes + "'"});
    }
}
