// The one way a remote command line is built from argv. SSH hands the remote
// side a single string that the user's login shell parses again, so every
// argument must survive that parse byte for byte.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace cc {

// POSIX sh single-quote style: arguments made only of [A-Za-z0-9_./:=@%+,-]
// stay bare, "" becomes '', anything else is wrapped in '...' with each ' written
// as '\''. A leading '=' is quoted too: zsh would expand "=cmd" to a path.
// Nothing is rejected; an argv element cannot hold a NUL byte, so callers never
// pass one (it would truncate the remote command).
std::string shell_quote(std::string_view arg);

// Quoted arguments joined by single spaces. A first word containing '=' is
// quoted so the shell runs it instead of reading a variable assignment.
std::string shell_join(const std::vector<std::string>& argv);

}  // namespace cc
