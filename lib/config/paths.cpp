#include "config/paths.hpp"

#include <cstdlib>

#include "core/local_paths.hpp"

namespace cc {

static std::string xdg_dir(const char* variable, const char* fallback) {
    const char* value = std::getenv(variable);
    std::string dir = value ? value : "";
    // The XDG spec says relative values are invalid and must be ignored.
    if (dir.empty() || dir.front() != '/') dir = home_directory() + fallback;
    return dir;
}

std::string default_config_path() {
    return xdg_dir("XDG_CONFIG_HOME", "/.config") + "/clusterctl/config.toml";
}

std::string default_inventory_path() {
    return xdg_dir("XDG_DATA_HOME", "/.local/share") + "/clusterctl/inventory.db";
}

}  // namespace cc
