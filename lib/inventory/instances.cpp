#include "inventory/instances.hpp"

#include <fmt/format.h>

#include "inventory/rows.hpp"

namespace cc {

namespace {

constexpr auto kInstanceRow =
    sql::row<InstanceRecord>(sql::column("name", &InstanceRecord::name), sql::column("node", &InstanceRecord::node),
                             sql::column("image", &InstanceRecord::image), sql::column("owner", &InstanceRecord::owner),
                             sql::column("state", &InstanceRecord::state), sql::column("gpus", &InstanceRecord::gpus),
                             sql::column("cpus_milli", &InstanceRecord::cpus_milli),
                             sql::column("memory_bytes", &InstanceRecord::memory_bytes),
                             sql::column("storage_bytes", &InstanceRecord::storage_bytes),
                             sql::column("storage_enforced", &InstanceRecord::storage_enforced),
                             sql::column("expires_at", &InstanceRecord::expires_at),
                             sql::column("created_at", &InstanceRecord::created_at));

}  // namespace

Result<std::vector<InstanceRecord>> InstanceTable::list() {
    return sql::select_all(db_, kInstanceRow, "FROM instances ORDER BY node, name");
}

Result<std::optional<InstanceRecord>> InstanceTable::find(const std::string& name) {
    auto rows = sql::select_all(db_, kInstanceRow, "FROM instances WHERE name = ?1", name);
    if (!rows) return sql::pass(rows);
    if (rows->empty()) return std::optional<InstanceRecord>{};
    return std::optional<InstanceRecord>{std::move(rows->front())};
}

Result<std::map<std::string, std::string>> InstanceTable::labels_of(const std::string& name) {
    auto stmt = sql::prepare(db_, "SELECT key, value FROM instance_labels WHERE instance = ?1 ORDER BY key", name);
    if (!stmt) return sql::pass(stmt);
    std::map<std::string, std::string> out;
    for (;;) {
        auto row = stmt->step();
        if (!row) return sql::pass(row);
        if (!*row) break;
        out[stmt->text(0)] = stmt->text(1);
    }
    return out;
}

Result<void> InstanceTable::remove(const std::string& name) {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return sql::pass(tx);
    // GPUs, ports and labels go with the row (ON DELETE CASCADE).
    if (auto r = sql::execute(db_, "DELETE FROM instances WHERE name = ?1", name); !r) return r;
    if (db_.changes() == 0) return fail(ErrorKind::not_found, fmt::format("no instance named \"{}\"", name));
    return tx->commit();
}

Result<int> InstanceTable::count_on(const std::string& node) {
    auto count = sql::select_value<int>(db_, "SELECT count(*) FROM instances WHERE node = ?1", node);
    if (!count) return sql::pass(count);
    return count->value_or(0);
}

}  // namespace cc
