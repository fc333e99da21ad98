#include "views/port_map_view.hpp"

namespace cc {

const std::vector<Column<PortMapRow>>& port_map_columns() {
    using R = PortMapRow;
    static const std::vector<Column<R>> columns = {
        {.header = "INSTANCE", .json_key = "instance", .value = [](const R& r) { return r.instance; }},
        {.header = "NODE", .json_key = "node", .value = [](const R& r) { return r.node; }},
        {.header = "HOST PORT", .json_key = "host_port", .value = [](const R& r) { return r.port.host_port; }},
        {.header = "CONTAINER PORT", .json_key = "container_port",
         .value = [](const R& r) { return r.port.container_port; }},
        {.header = "PROTO", .json_key = "proto", .value = [](const R& r) { return r.port.proto; }},
        {.header = "VIA", .json_key = "via", .value = [](const R& r) { return r.port.via; }},
    };
    return columns;
}

}  // namespace cc
