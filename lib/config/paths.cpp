#include "config/paths.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sys/stat.h>

#include <fmt/format.h>

namespace cc {

static std::string env_or_empty(const char* name) {
    const char* value = std::getenv(name);
    return value ? value : "";
}

static std::string home_dir() {
    std::string home = env_or_empty("HOME");
    return home.empty() ? "/" : home;
}

std::string expand_home(std::string_view path) {
    if (path == "~") return home_dir();
    if (path.starts_with("~/")) return home_dir() + std::string(path.substr(1));
    return std::string(path);
}

static std::string xdg_dir(const char* variable, const char* fallback) {
    std::string dir = env_or_empty(variable);
    // The XDG spec says relative values are invalid and must be ignored.
    if (dir.empty() || dir.front() != '/') dir = home_dir() + fallback;
    return dir;
}

std::string default_config_path() {
    return xdg_dir("XDG_CONFIG_HOME", "/.config") + "/clusterctl/config.toml";
}

std::string default_inventory_path() {
    return xdg_dir("XDG_DATA_HOME", "/.local/share") + "/clusterctl/inventory.db";
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
