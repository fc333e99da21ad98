// XDG locations of clusterctl's own files.
#pragma once
#include <string>

namespace cc {

std::string default_config_path();     // $XDG_CONFIG_HOME/clusterctl/config.toml
std::string default_inventory_path();  // $XDG_DATA_HOME/clusterctl/inventory.db

}  // namespace cc
