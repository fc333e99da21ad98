#include "inventory/instances.hpp"

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

Result<int> InstanceTable::count_on(const std::string& node) {
    auto count = sql::select_value<int>(db_, "SELECT count(*) FROM instances WHERE node = ?1", node);
    if (!count) return sql::pass(count);
    return count->value_or(0);
}

}  // namespace cc
