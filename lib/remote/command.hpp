// The one builder of remote command lines: argv is quoted by shell_join, and
// every line a node runs is wrapped so the node itself stops it shortly after
// the caller's deadline (libssh2 1.10 cannot signal a remote process).
#pragma once
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace cc {

// The line for `exec`: argv quoted for the remote shell, or a shell line taken
// as written (--shell); exactly one of them.
Result<std::string> exec_command_line(const std::vector<std::string>& argv, const std::optional<std::string>& shell);

// Wraps a command line so the node itself stops it shortly after `deadline`.
// Lines over kLongRemoteLine bytes reach the shell through a heredoc, not argv.
constexpr std::size_t kLongRemoteLine = 16 * 1024;
std::string with_remote_deadline(const std::string& line, std::chrono::milliseconds deadline);

// shell_join(argv) under the deadline wrapper: what a node runs for an argv.
std::string remote_command(const std::vector<std::string>& argv, std::chrono::milliseconds deadline);

}  // namespace cc
