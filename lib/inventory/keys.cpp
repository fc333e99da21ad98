#include "inventory/keys.hpp"

#include <fmt/format.h>

#include "inventory/rows.hpp"

namespace cc {

namespace {

constexpr auto kKeyRow = sql::row<KeyRecord>(
    sql::column("name", &KeyRecord::name), sql::column("type", &KeyRecord::type),
    sql::column("public_key", &KeyRecord::base64), sql::column("fingerprint", &KeyRecord::fingerprint),
    sql::column("comment", &KeyRecord::comment), sql::column("owner", &KeyRecord::owner),
    sql::column("created_at", &KeyRecord::created_at));

constexpr auto kPlacementRow = sql::row<KeyPlacement>(
    sql::column("key", &KeyPlacement::key), sql::column("node", &KeyPlacement::node),
    sql::column("remote_user", &KeyPlacement::remote_user), sql::column("options", &KeyPlacement::options),
    sql::column("pushed_at", &KeyPlacement::pushed_at));

constexpr auto kAccountRow =
    sql::row<KeyAccount>(sql::column("node", &KeyAccount::node), sql::column("remote_user", &KeyAccount::remote_user));

std::string no_such_key(const std::string& name) {
    return fmt::format("no key named \"{}\" (see clusterctl key ls)", name);
}

}  // namespace

Result<void> KeyTable::add(const KeyRecord& key) {
    // Both checks inside the write transaction: another process may be adding
    // the same key right now, and the UNIQUE error would not name the holder.
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return sql::pass(tx);
    auto same_name = sql::exists(db_, "SELECT 1 FROM keys WHERE name = ?1", key.name);
    if (!same_name) return sql::pass(same_name);
    if (*same_name) return fail(ErrorKind::conflict, fmt::format("key \"{}\" exists already", key.name));
    auto same_key = find_by_fingerprint(key.fingerprint);
    if (!same_key) return sql::pass(same_key);
    if (*same_key)
        return fail(ErrorKind::conflict, fmt::format("this key ({}) is registered already as \"{}\"",
                                                     key.fingerprint, (*same_key)->name));
    if (auto r = sql::execute(db_,
                              "INSERT INTO keys (name, type, public_key, fingerprint, comment, owner) "
                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                              key.name, key.type, key.base64, key.fingerprint, key.comment, key.owner);
        !r)
        return r;
    return tx->commit();
}

Result<std::vector<KeyRecord>> KeyTable::list() { return sql::select_all(db_, kKeyRow, "FROM keys ORDER BY name"); }

Result<KeyRecord> KeyTable::get(const std::string& name) {
    auto key = sql::select_one(db_, kKeyRow, "FROM keys WHERE name = ?1", name);
    if (!key) return sql::pass(key);
    if (!*key) return fail(ErrorKind::not_found, no_such_key(name));
    return std::move(**key);
}

Result<std::optional<KeyRecord>> KeyTable::find_by_fingerprint(const std::string& fingerprint) {
    return sql::select_one(db_, kKeyRow, "FROM keys WHERE fingerprint = ?1", fingerprint);
}

Result<void> KeyTable::remove(const std::string& name) {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return sql::pass(tx);
    if (auto r = sql::execute(db_, "DELETE FROM keys WHERE name = ?1", name); !r) return r;  // placements cascade
    if (db_.changes() == 0) return fail(ErrorKind::not_found, no_such_key(name));
    return tx->commit();
}

Result<std::vector<KeyPlacement>> KeyTable::placements() {
    return sql::select_all(db_, kPlacementRow, "FROM key_placements ORDER BY node, remote_user, key");
}

Result<std::vector<KeyAccount>> KeyTable::accounts() {
    return sql::select_all(db_, kAccountRow, "FROM key_accounts ORDER BY node, remote_user");
}

Result<void> KeyTable::record_placements(const std::vector<KeyPlacement>& set,
                                         const std::vector<KeyPlacement>& removed) {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return sql::pass(tx);
    for (const auto& p : set) {
        // The foreign keys would refuse these too, but without saying which.
        auto key = sql::exists(db_, "SELECT 1 FROM keys WHERE name = ?1", p.key);
        if (!key) return sql::pass(key);
        if (!*key) return fail(ErrorKind::not_found, no_such_key(p.key) + "; no placement was recorded");
        auto node = sql::exists(db_, "SELECT 1 FROM nodes WHERE name = ?1", p.node);
        if (!node) return sql::pass(node);
        if (!*node)
            return fail(ErrorKind::not_found,
                        fmt::format("node \"{}\" is not in the inventory; no placement was recorded", p.node));
        if (auto r = sql::execute(db_, "INSERT INTO key_accounts (node, remote_user) VALUES (?1, ?2) "
                                       "ON CONFLICT DO NOTHING",
                                  p.node, p.remote_user);
            !r)
            return r;
        // An empty pushed_at means "now", so callers need no clock of their own.
        if (auto r = sql::execute(db_,
                                  "INSERT INTO key_placements (key, node, remote_user, options, pushed_at) "
                                  "VALUES (?1, ?2, ?3, ?4, COALESCE(NULLIF(?5, ''), "
                                  "strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))) "
                                  "ON CONFLICT(key, node, remote_user) DO UPDATE SET options = excluded.options, "
                                  "pushed_at = excluded.pushed_at",
                                  p.key, p.node, p.remote_user, p.options, p.pushed_at);
            !r)
            return r;
    }
    // The account stays: sync and audit must still visit a user whose last key went.
    for (const auto& p : removed)
        if (auto r = sql::execute(db_, "DELETE FROM key_placements WHERE key = ?1 AND node = ?2 AND remote_user = ?3",
                                  p.key, p.node, p.remote_user);
            !r)
            return r;
    return tx->commit();
}

}  // namespace cc
