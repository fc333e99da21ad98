// Containers clusterctl started for users: the `instances` table.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "inventory/sqlite.hpp"

namespace cc {

// A container clusterctl started for a user; its container name is `name`.
struct InstanceRecord {
    std::string name;
    std::string node;
    std::string image;
    std::string owner;
    std::string state = "created";  // 'creating' from the claim until the container started
    int gpus = 0;
    std::int64_t cpus_milli = 0;     // 0: no limit asked
    std::int64_t memory_bytes = 0;   // 0: no limit asked
    std::int64_t storage_bytes = 0;  // 0: no limit asked
    bool storage_enforced = false;   // the runtime applied storage_bytes (a root size limit)
    std::optional<std::string> expires_at{};  // ISO 8601 UTC, from --ttl
    std::string created_at{};
};

// Reached as `inventory.instances()`.
class InstanceTable {
public:
    explicit InstanceTable(sql::Database& db) : db_(db) {}

    Result<std::vector<InstanceRecord>> list();  // by node, name
    Result<std::optional<InstanceRecord>> find(const std::string& name);
    Result<std::map<std::string, std::string>> labels_of(const std::string& name);
    // `instance rm`: the row and everything it holds (GPUs, ports, labels) in one
    // transaction; not_found when there is no such instance.
    Result<void> remove(const std::string& name);
    Result<int> count_on(const std::string& node);

private:
    sql::Database& db_;
};

}  // namespace cc
