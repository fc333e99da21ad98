// Users instances are created for: the `users` table (level, own quota) and their
// default volumes (`user_volumes`), and what each one holds now.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/quantity.hpp"
#include "core/volume_spec.hpp"
#include "inventory/sqlite.hpp"

namespace cc {

struct UserRecord {
    std::string name;
    std::string level = "small";
    QuotaOverrides quota{};              // empty fields: the level's default
    std::vector<VolumeMount> volumes{};  // mounted on every instance the user owns, by dst
    std::string created_at{};
};

// A change to one user; unset fields stay as they are.
struct UserEdit {
    std::string name;
    std::optional<std::string> level{};
    std::optional<std::string> quota{};  // `--quota` text, applied over the stored quota
    std::optional<std::vector<VolumeMount>> volumes{};  // replaces the list (an empty one clears it)
};

// What an owner's instances hold now (instances in 'creating' included: they are claimed).
// GPUs count the GPUs held (instance_gpus rows), the rest sum the instances' columns.
struct ResourceUse : ResourceLimits {
    // Instances with a storage size the runtime could not apply: counted, not enforced.
    std::int64_t storage_not_enforced = 0;
};

// One query per call, whatever the number of instances.
Result<ResourceUse> owner_usage(sql::Database& db, const std::string& owner);
Result<std::map<std::string, ResourceUse>> usage_by_owner(sql::Database& db);

// Reached as `inventory.users()`; every change is one transaction.
class UserTable {
public:
    explicit UserTable(sql::Database& db) : db_(db) {}

    Result<std::vector<UserRecord>> list();  // by name, with volumes: two queries
    Result<std::optional<UserRecord>> find(const std::string& name);
    Result<UserRecord> get(const std::string& name);  // not_found when absent

    Result<void> add(const UserRecord& user);  // conflict when the name is taken
    Result<void> update(const UserEdit& edit);
    // Refused (conflict, naming how many) while the user owns instances.
    Result<void> remove(const std::string& name);

    Result<ResourceUse> usage(const std::string& owner) { return owner_usage(db_, owner); }
    Result<std::map<std::string, ResourceUse>> usage_by_owner() { return cc::usage_by_owner(db_); }

private:
    Result<void> write_quota(const std::string& name, const QuotaOverrides& quota);
    Result<void> write_volumes(const std::string& name, const std::vector<VolumeMount>& volumes);
    sql::Database& db_;
};

}  // namespace cc
