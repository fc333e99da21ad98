// The shape of `port-map add|rm|ls` output, documented in man/clusterctl.1.
#pragma once
#include <vector>

#include <nlohmann/json.hpp>

#include "ops/port_map.hpp"
#include "views/column.hpp"

namespace cc {

// {"instance", "node", "host_port", "container_port", "proto", "via": "runtime"|"forward"}
const std::vector<Column<PortMapRow>>& port_map_columns();

inline nlohmann::json port_map_json(const PortMapRow& row) { return json_object(row, port_map_columns()); }

}  // namespace cc
