#include "core/local_paths.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>

#include <fmt/format.h>

namespace cc {

std::string home_directory() {
    const char* home = std::getenv("HOME");
    return home && *home ? home : "/";
}

std::string expand_home(std::string_view path) {
    if (path == "~") return home_directory();
    if (path.starts_with("~/")) return home_directory() + std::string(path.substr(1));
    return std::string(path);
}

Result<void> make_directories(const std::string& dir, unsigned mode) {
    if (dir.empty()) return {};
    for (std::size_t pos = 1; pos <= dir.size(); ++pos) {
        if (pos != dir.size() && dir[pos] != '/') continue;
        std::string prefix = dir.substr(0, pos);
        if (::mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST)
            return fail(ErrorKind::io, fmt::format("cannot create directory \"{}\": {}", prefix, std::strerror(errno)));
    }
    return {};
}

}  // namespace cc
