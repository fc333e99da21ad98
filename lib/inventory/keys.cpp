// Registered public keys and where they were pushed (schema version 2).
#include <fmt/format.h>

#include "inventory/inventory.hpp"

namespace cc {

namespace {

template <class T>
std::unexpected<Error> pass(const Result<T>& r) {
    return std::unexpected(r.error());
}

// Steps `stmt` to the end, turning each row into a T.
template <class T, class FromRow>
Result<std::vector<T>> collect(sql::Statement& stmt, FromRow from_row) {
    std::vector<T> out;
    for (;;) {
        auto row = stmt.step();
        if (!row) return pass(row);
        if (!*row) return out;
        out.push_back(from_row(stmt));
    }
}

constexpr const char* kKeyColumns = "name, type, public_key, fingerprint, comment, owner, created_at";

KeyRecord key_from_row(const sql::Statement& row) {
    return {row.text(0), row.text(1), row.text(2), row.text(3), row.text(4), row.text(5), row.text(6)};
}

KeyPlacement placement_from_row(const sql::Statement& row) {
    return {row.text(0), row.text(1), row.text(2), row.text(3), row.text(4)};
}

std::string no_such_key(const std::string& name) {
    return fmt::format("no key named \"{}\" (see clusterctl key ls)", name);
}

// `column` is one of ours, never user input.
Result<std::optional<KeyRecord>> find_key_by(sql::Database& db, const char* column, const std::string& value) {
    auto stmt = sql::Statement::prepare(db, fmt::format("SELECT {} FROM keys WHERE {} = ?1", kKeyColumns, column));
    if (!stmt) return pass(stmt);
    stmt->bind(1, value);
    auto row = stmt->step();
    if (!row) return pass(row);
    if (!*row) return std::optional<KeyRecord>{};
    return std::optional<KeyRecord>{key_from_row(*stmt)};
}

Result<bool> exists(sql::Database& db, const char* sql, const std::string& value) {
    auto stmt = sql::Statement::prepare(db, sql);
    if (!stmt) return pass(stmt);
    stmt->bind(1, value);
    return stmt->step();
}

}  // namespace

Result<void> Inventory::add_key(const KeyRecord& key) {
    // Both checks inside the write transaction: another process may be adding
    // the same key right now, and the UNIQUE error would not name the holder.
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return pass(tx);
    auto same_name = find_key_by(db_, "name", key.name);
    if (!same_name) return pass(same_name);
    if (*same_name) return fail(ErrorKind::conflict, fmt::format("key \"{}\" exists already", key.name));
    auto same_key = find_key_by(db_, "fingerprint", key.fingerprint);
    if (!same_key) return pass(same_key);
    if (*same_key)
        return fail(ErrorKind::conflict, fmt::format("this key ({}) is registered already as \"{}\"",
                                                     key.fingerprint, (*same_key)->name));

    auto insert = sql::Statement::prepare(
        db_, "INSERT INTO keys (name, type, public_key, fingerprint, comment, owner) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (!insert) return pass(insert);
    insert->bind(1, key.name).bind(2, key.type).bind(3, key.base64).bind(4, key.fingerprint);
    insert->bind(5, key.comment).bind(6, key.owner);
    if (auto r = insert->run(); !r) return r;
    return tx->commit();
}

Result<std::vector<KeyRecord>> Inventory::list_keys() {
    auto stmt = sql::Statement::prepare(db_, fmt::format("SELECT {} FROM keys ORDER BY name", kKeyColumns));
    if (!stmt) return pass(stmt);
    return collect<KeyRecord>(*stmt, key_from_row);
}

Result<KeyRecord> Inventory::get_key(const std::string& name) {
    auto key = find_key_by(db_, "name", name);
    if (!key) return pass(key);
    if (!*key) return fail(ErrorKind::not_found, no_such_key(name));
    return std::move(**key);
}

Result<std::optional<KeyRecord>> Inventory::find_key_by_fingerprint(const std::string& fingerprint) {
    return find_key_by(db_, "fingerprint", fingerprint);
}

Result<void> Inventory::remove_key(const std::string& name) {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return pass(tx);
    auto stmt = sql::Statement::prepare(db_, "DELETE FROM keys WHERE name = ?1");  // placements cascade
    if (!stmt) return pass(stmt);
    stmt->bind(1, name);
    if (auto r = stmt->run(); !r) return r;
    if (db_.changes() == 0) return fail(ErrorKind::not_found, no_such_key(name));
    return tx->commit();
}

Result<std::vector<KeyPlacement>> Inventory::list_placements() {
    auto stmt = sql::Statement::prepare(
        db_, "SELECT key, node, remote_user, options, pushed_at FROM key_placements ORDER BY node, remote_user, key");
    if (!stmt) return pass(stmt);
    return collect<KeyPlacement>(*stmt, placement_from_row);
}

Result<std::vector<KeyAccount>> Inventory::list_key_accounts() {
    auto stmt = sql::Statement::prepare(db_, "SELECT node, remote_user FROM key_accounts ORDER BY node, remote_user");
    if (!stmt) return pass(stmt);
    return collect<KeyAccount>(*stmt, [](const sql::Statement& row) { return KeyAccount{row.text(0), row.text(1)}; });
}

Result<void> Inventory::record_placements(const std::vector<KeyPlacement>& set,
                                          const std::vector<KeyPlacement>& removed) {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return pass(tx);
    for (const auto& p : set) {
        // The foreign keys would refuse these too, but without saying which.
        auto key = exists(db_, "SELECT 1 FROM keys WHERE name = ?1", p.key);
        if (!key) return pass(key);
        if (!*key) return fail(ErrorKind::not_found, no_such_key(p.key) + "; no placement was recorded");
        auto node = exists(db_, "SELECT 1 FROM nodes WHERE name = ?1", p.node);
        if (!node) return pass(node);
        if (!*node)
            return fail(ErrorKind::not_found,
                        fmt::format("node \"{}\" is not in the inventory; no placement was recorded", p.node));

        auto account = sql::Statement::prepare(
            db_, "INSERT INTO key_accounts (node, remote_user) VALUES (?1, ?2) ON CONFLICT DO NOTHING");
        if (!account) return pass(account);
        account->bind(1, p.node).bind(2, p.remote_user);
        if (auto r = account->run(); !r) return r;

        // An empty pushed_at means "now", so callers need no clock of their own.
        auto upsert = sql::Statement::prepare(
            db_, "INSERT INTO key_placements (key, node, remote_user, options, pushed_at) "
                 "VALUES (?1, ?2, ?3, ?4, COALESCE(NULLIF(?5, ''), strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))) "
                 "ON CONFLICT(key, node, remote_user) DO UPDATE SET options = excluded.options, "
                 "pushed_at = excluded.pushed_at");
        if (!upsert) return pass(upsert);
        upsert->bind(1, p.key).bind(2, p.node).bind(3, p.remote_user).bind(4, p.options).bind(5, p.pushed_at);
        if (auto r = upsert->run(); !r) return r;
    }
    // The account stays: sync and audit must still visit a user whose last key went.
    for (const auto& p : removed) {
        auto stmt = sql::Statement::prepare(
            db_, "DELETE FROM key_placements WHERE key = ?1 AND node = ?2 AND remote_user = ?3");
        if (!stmt) return pass(stmt);
        stmt->bind(1, p.key).bind(2, p.node).bind(3, p.remote_user);
        if (auto r = stmt->run(); !r) return r;
    }
    return tx->commit();
}

}  // namespace cc
