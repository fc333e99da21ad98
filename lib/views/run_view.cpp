#include "views/run_view.hpp"

#include "core/units.hpp"

namespace cc {

const std::vector<Column<NodeExecOutcome>>& exec_outcome_fields() {
    using O = NodeExecOutcome;
    static const std::vector<Column<O>> columns = {
        {.json_key = "node", .value = [](const O& o) { return o.node; }},
        {.json_key = "status", .value = [](const O& o) { return exec_status_name(o.status); }},
        {.json_key = "exit_status", .value = [](const O& o) { return or_null(o.exit_status); }},
        {.json_key = "exit_signal", .value = [](const O& o) { return or_null(o.exit_signal); }},
        {.json_key = "error", .value = [](const O& o) { return or_null(o.error); }},
        {.json_key = "stdout", .value = [](const O& o) { return o.out; }},
        {.json_key = "stderr", .value = [](const O& o) { return o.err; }},
        {.json_key = "truncated", .value = [](const O& o) { return o.truncated; }},
        {.json_key = "duration_ms", .value = [](const O& o) { return o.duration.count(); }},
    };
    return columns;
}

const std::vector<Column<NodeCopyOutcome>>& copy_outcome_columns() {
    using O = NodeCopyOutcome;
    static const std::vector<Column<O>> columns = {
        {.header = "NODE", .json_key = "node", .value = [](const O& o) { return o.node; }},
        {.header = "STATUS", .json_key = "status",
         .value = [](const O& o) { return exec_status_name(o.status); },
         .style = [](const O& o) { return o.status == ExecStatus::ok ? Style::good : Style::bad; }},
        {.header = "FILES", .json_key = "files", .value = [](const O& o) { return o.files; }},
        {.header = "BYTES", .json_key = "bytes",
         .value = [](const O& o) { return o.bytes; },
         .text = [](const O& o) { return format_bytes(o.bytes); }},
        {.header = "DETAIL",
         .text = [](const O& o) { return o.status != ExecStatus::ok ? o.error : cell_text(or_null(o.local_path)); }},
        {.json_key = "local_path", .value = [](const O& o) { return or_null(o.local_path); }},
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
