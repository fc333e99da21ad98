// Containers clusterctl started for users: the `instances` table.
#pragma once
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
};

// Reached as `inventory.instances()`.
class InstanceTable {
public:
    explicit InstanceTable(sql::Database& db) : db_(db) {}

    Result<std::vector<InstanceRecord>> list();  // by node, name
    Result<int> count_on(const std::string& node);

private:
    sql::Database& db_;
};

}  // namespace cc
