#include "inventory/users.hpp"

#include <fmt/format.h>

#include "inventory/rows.hpp"

namespace cc {

namespace {

constexpr auto kUserRow = sql::row<UserRecord>(
    sql::column("name", &UserRecord::name), sql::column("level", &UserRecord::level),
    sql::column("quota_gpus", [](UserRecord& u) -> auto& { return u.quota.gpus; }),
    sql::column("quota_cpus_milli", [](UserRecord& u) -> auto& { return u.quota.cpus_milli; }),
    sql::column("quota_memory_bytes", [](UserRecord& u) -> auto& { return u.quota.memory_bytes; }),
    sql::column("quota_storage_bytes", [](UserRecord& u) -> auto& { return u.quota.storage_bytes; }),
    sql::column("quota_instances", [](UserRecord& u) -> auto& { return u.quota.instances; }),
    sql::column("created_at", &UserRecord::created_at));

struct VolumeRow {
    std::string user;
    VolumeMount volume;
};

constexpr auto kVolumeRow = sql::row<VolumeRow>(
    sql::column("user", &VolumeRow::user), sql::column("src", [](VolumeRow& v) -> auto& { return v.volume.src; }),
    sql::column("dst", [](VolumeRow& v) -> auto& { return v.volume.dst; }),
    sql::column("read_only", [](VolumeRow& v) -> auto& { return v.volume.read_only; }));

// Use is GPUs held plus the sums of the instances' columns, per owner: one query.
constexpr const char* kUsageSelect =
    "SELECT i.owner, count(*), COALESCE(sum(i.cpus_milli), 0), COALESCE(sum(i.memory_bytes), 0), "
    "COALESCE(sum(i.storage_bytes), 0), "
    "COALESCE(sum((SELECT count(*) FROM instance_gpus g WHERE g.instance = i.name)), 0), "
    "count(*) FILTER (WHERE i.storage_bytes > 0 AND NOT i.storage_enforced) "
    "FROM instances i ";

ResourceUse read_usage(const sql::Statement& s) {
    ResourceUse use;
    use.gpus = s.integer(5);
    use.cpus_milli = s.integer(2);
    use.memory_bytes = s.integer(3);
    use.storage_bytes = s.integer(4);
    use.instances = s.integer(1);
    use.storage_not_enforced = s.integer(6);
    return use;
}

std::string no_such_user(const std::string& name) {
    return fmt::format("no user named \"{}\" (see clusterctl user ls)", name);
}

}  // namespace

Result<ResourceUse> owner_usage(sql::Database& db, const std::string& owner) {
    auto stmt = sql::prepare(db, std::string(kUsageSelect) + "WHERE i.owner = ?1 GROUP BY i.owner", owner);
    if (!stmt) return sql::pass(stmt);
    auto row = stmt->step();
    if (!row) return sql::pass(row);
    return *row ? read_usage(*stmt) : ResourceUse{};
}

Result<std::map<std::string, ResourceUse>> usage_by_owner(sql::Database& db) {
    auto stmt = sql::prepare(db, std::string(kUsageSelect) + "GROUP BY i.owner");
    if (!stmt) return sql::pass(stmt);
    std::map<std::string, ResourceUse> out;
    for (;;) {
        auto row = stmt->step();
        if (!row) return sql::pass(row);
        if (!*row) return out;
        out[stmt->text(0)] = read_usage(*stmt);
    }
}

Result<std::vector<UserRecord>> UserTable::list() {
    auto users = sql::select_all(db_, kUserRow, "FROM users ORDER BY name");
    if (!users) return users;
    auto volumes = sql::select_all(db_, kVolumeRow, "FROM user_volumes ORDER BY user, dst");
    if (!volumes) return sql::pass(volumes);
    std::map<std::string, UserRecord*> by_name;
    for (auto& u : *users) by_name[u.name] = &u;
    for (auto& v : *volumes)
        if (auto it = by_name.find(v.user); it != by_name.end()) it->second->volumes.push_back(std::move(v.volume));
    return users;
}

Result<std::optional<UserRecord>> UserTable::find(const std::string& name) {
    auto user = sql::select_one(db_, kUserRow, "FROM users WHERE name = ?1", name);
    if (!user || !*user) return user;
    auto volumes = sql::select_all(db_, kVolumeRow, "FROM user_volumes WHERE user = ?1 ORDER BY dst", name);
    if (!volumes) return sql::pass(volumes);
    for (auto& v : *volumes) (*user)->volumes.push_back(std::move(v.volume));
    return user;
}

Result<UserRecord> UserTable::get(const std::string& name) {
    auto user = find(name);
    if (!user) return sql::pass(user);
    if (!*user) return fail(ErrorKind::not_found, no_such_user(name));
    return std::move(**user);
}

Result<void> UserTable::write_quota(const std::string& name, const QuotaOverrides& quota) {
    auto stmt = sql::Statement::prepare(db_,
                                        "UPDATE users SET quota_gpus = ?2, quota_cpus_milli = ?3, quota_memory_bytes = ?4, "
                                        "quota_storage_bytes = ?5, quota_instances = ?6 WHERE name = ?1");
    if (!stmt) return sql::pass(stmt);
    stmt->bind(1, name);
    int index = 2;
    for (const auto& value : {quota.gpus, quota.cpus_milli, quota.memory_bytes, quota.storage_bytes, quota.instances}) {
        if (value) stmt->bind(index, *value);
        else stmt->bind_null(index);
        ++index;
    }
    return stmt->run();
}

Result<void> UserTable::write_volumes(const std::string& name, const std::vector<VolumeMount>& volumes) {
    if (auto r = sql::execute(db_, "DELETE FROM user_volumes WHERE user = ?1", name); !r) return r;
    for (const auto& v : volumes) {
        auto r = sql::execute(db_, "INSERT INTO user_volumes (user, src, dst, read_only) VALUES (?1, ?2, ?3, ?4)", name,
                              v.src, v.dst, v.read_only ? 1 : 0);
        if (!r) {
            auto same_dst = sql::exists(db_, "SELECT 1 FROM user_volumes WHERE user = ?1 AND dst = ?2", name, v.dst);
            if (same_dst && *same_dst)
                return fail(ErrorKind::invalid_input,
                            fmt::format("volume \"{}\": \"{}\" is mounted twice", format_volume(v), v.dst));
            return r;
        }
    }
    return {};
}

Result<void> UserTable::add(const UserRecord& user) {
    if (!is_level_name(user.level))
        return fail(ErrorKind::invalid_input, fmt::format("level \"{}\": expected small, mid or big", user.level));
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return sql::pass(tx);
    auto taken = sql::exists(db_, "SELECT 1 FROM users WHERE name = ?1", user.name);
    if (!taken) return sql::pass(taken);
    if (*taken) return fail(ErrorKind::conflict, fmt::format("user \"{}\" exists already", user.name));
    if (auto r = sql::execute(db_, "INSERT INTO users (name, level) VALUES (?1, ?2)", user.name, user.level); !r)
        return r;
    if (auto r = write_quota(user.name, user.quota); !r) return r;
    if (auto r = write_volumes(user.name, user.volumes); !r) return r;
    return tx->commit();
}

Result<void> UserTable::update(const UserEdit& edit) {
    if (edit.level && !is_level_name(*edit.level))
        return fail(ErrorKind::invalid_input, fmt::format("level \"{}\": expected small, mid or big", *edit.level));
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return sql::pass(tx);
    auto current = find(edit.name);  // read under the write lock: the quota is merged into what is stored
    if (!current) return sql::pass(current);
    if (!*current) return fail(ErrorKind::not_found, no_such_user(edit.name));
    if (edit.level)
        if (auto r = sql::execute(db_, "UPDATE users SET level = ?2 WHERE name = ?1", edit.name, *edit.level); !r)
            return r;
    if (edit.quota) {
        auto quota = parse_quota(*edit.quota, (*current)->quota);
        if (!quota) return sql::pass(quota);
        if (auto r = write_quota(edit.name, *quota); !r) return r;
    }
    if (edit.volumes)
        if (auto r = write_volumes(edit.name, *edit.volumes); !r) return r;
    return tx->commit();
}

Result<void> UserTable::remove(const std::string& name) {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return sql::pass(tx);
    auto owned = sql::select_value<int>(db_, "SELECT count(*) FROM instances WHERE owner = ?1", name);
    if (!owned) return sql::pass(owned);
    if (int n = owned->value_or(0); n > 0)
        return fail(ErrorKind::conflict,
                    fmt::format("user \"{}\" owns {} instance{}; remove {} first (clusterctl instance ls --owner {})",
                                name, n, n == 1 ? "" : "s", n == 1 ? "it" : "them", name));
    if (auto r = sql::execute(db_, "DELETE FROM users WHERE name = ?1", name); !r) return r;  // volumes cascade
    if (db_.changes() == 0) return fail(ErrorKind::not_found, no_such_user(name));
    return tx->commit();
}

}  // namespace cc
