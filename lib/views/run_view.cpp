#include "views/run_view.hpp"

#include "core/units.hpp"

namespace cc {

const std::vector<Column<NodeResult<ExecOutput>>>& exec_outcome_fields() {
    using O = NodeResult<ExecOutput>;
    static const std::vector<Column<O>> columns = {
        {.json_key = "node", .value = [](const O& o) { return o.node; }},
        {.json_key = "status", .value = [](const O& o) { return node_status_word(o.status, o.error_kind); }},
        {.json_key = "exit_status", .value = [](const O& o) { return or_null(o.value.exit_status); }},
        {.json_key = "exit_signal", .value = [](const O& o) { return or_null(o.value.exit_signal); }},
        {.json_key = "error", .value = [](const O& o) { return or_null(o.error); }},
        {.json_key = "stdout", .value = [](const O& o) { return o.value.out; }},
        {.json_key = "stderr", .value = [](const O& o) { return o.value.err; }},
        {.json_key = "truncated", .value = [](const O& o) { return o.value.truncated; }},
        {.json_key = "duration_ms", .value = [](const O& o) { return o.duration.count(); }},
    };
    return columns;
}

const std::vector<Column<NodeResult<CopyOutput>>>& copy_outcome_columns() {
    using O = NodeResult<CopyOutput>;
    static const std::vector<Column<O>> columns = {
        {.header = "NODE", .json_key = "node", .value = [](const O& o) { return o.node; }},
        {.header = "STATUS", .json_key = "status",
         .value = [](const O& o) { return node_status_word(o.status, o.error_kind); },
         .style = [](const O& o) { return o.status == NodeStatus::ok ? Style::good : Style::bad; }},
        {.header = "FILES", .json_key = "files", .value = [](const O& o) { return o.value.files; }},
        {.header = "BYTES", .json_key = "bytes",
         .value = [](const O& o) { return o.value.bytes; },
         .text = [](const O& o) { return format_bytes(o.value.bytes); }},
        {.header = "DETAIL",
         .text = [](const O& o) { return o.status != NodeStatus::ok ? o.error : cell_text(or_null(o.value.local_path)); }},
        {.json_key = "local_path", .value = [](const O& o) { return or_null(o.value.local_path); }},
        {.json_key = "error", .value = [](const O& o) { return or_null(o.error); }},
        {.json_key = "duration_ms", .value = [](const O& o) { return o.duration.count(); }},
    };
    return columns;
}

std::vector<ConfigRow> config_rows(const Config& config) {
    std::vector<ConfigRow> rows;
    const auto& keys = config_keys();
    // entries are in config_keys() order, one per key.
    for (std::size_t i = 0; i < config.entries.size() && i < keys.size(); ++i)
        rows.push_back({&config.entries[i], &keys[i]});
    return rows;
}

const std::vector<Column<ConfigRow>>& config_columns() {
    using R = ConfigRow;
    static const std::vector<Column<R>> columns = {
        {.header = "KEY", .json_key = "key", .value = [](const R& r) { return r.entry->key; }},
        {.header = "VALUE", .json_key = "value", .value = [](const R& r) { return r.entry->value; }},
        {.header = "SOURCE", .json_key = "source",
         .value = [](const R& r) { return config_source_name(r.entry->source); }},
        {.json_key = "env", .value = [](const R& r) { return or_null(r.key->env); }},
    };
    return columns;
}

}  // namespace cc
