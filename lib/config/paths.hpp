// XDG locations and path helpers shared by config and inventory.
#pragma once
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cc {

// "~/x" -> "$HOME/x"; other paths unchanged.
std::string expand_home(std::string_view path);
std::string default_config_path();     // $XDG_CONFIG_HOME/clusterctl/config.toml
std::string default_inventory_path();  // $XDG_DATA_HOME/clusterctl/inventory.db
// mkdir -p with the given mode for every directory it creates.
Result<void> make_directories(const std::string& dir, unsigned mode);

}  // namespace cc
