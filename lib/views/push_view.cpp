#include "views/push_view.hpp"

#include "core/units.hpp"

namespace cc {

const std::vector<Column<NodeResult<ImagePushOutput>>>& push_outcome_columns() {
    using O = NodeResult<ImagePushOutput>;
    static const std::vector<Column<O>> columns = {
        {.header = "NODE", .json_key = "node", .value = [](const O& o) { return o.node; }},
        {.header = "STATUS", .json_key = "status",
         .value = [](const O& o) { return node_status_word(o.status, o.error_kind); },
         .style = [](const O& o) { return o.status == NodeStatus::ok ? Style::good : Style::bad; }},
        {.header = "IMAGE", .json_key = "image", .value = [](const O& o) { return or_null(o.value.image); }},
        {.header = "PLATFORM", .json_key = "platform", .value = [](const O& o) { return or_null(o.value.platform); }},
        {.header = "LAYERS SENT", .text = [](const O& o) {
             return o.value.layers == 0 ? std::string("-")
                                        : std::to_string(o.value.layers_sent) + "/" + std::to_string(o.value.layers);
         }},
        {.header = "SENT", .json_key = "bytes_sent",
         .value = [](const O& o) { return o.value.bytes_sent; },
         .text = [](const O& o) { return format_bytes(o.value.bytes_sent); }},
        {.header = "DETAIL", .text = [](const O& o) { return o.status != NodeStatus::ok ? (o.error.empty() ? o.value.detail : o.error) : std::string(); }},
        {.json_key = "digest", .value = [](const O& o) { return or_null(o.value.digest); }},
        {.json_key = "runtime", .value = [](const O& o) { return or_null(o.value.runtime); }},
        {.json_key = "blob_bytes", .value = [](const O& o) { return o.value.blob_bytes; }},
        {.json_key = "layers", .value = [](const O& o) { return o.value.layers; }},
        {.json_key = "layers_sent", .value = [](const O& o) { return o.value.layers_sent; }},
        {.json_key = "layers_reused", .value = [](const O& o) { return o.value.layers_reused; }},
        {.json_key = "detail", .value = [](const O& o) { return or_null(o.value.detail); }},
        {.json_key = "error", .value = [](const O& o) { return or_null(o.error); }},
        {.json_key = "duration_ms", .value = [](const O& o) { return o.duration.count(); }},
    };
    return columns;
}

}  // namespace cc
