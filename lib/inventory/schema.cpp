#include "inventory/schema.hpp"

#include <fmt/format.h>

namespace cc {

namespace {

// Marks the file as ours, so a random SQLite file is not mistaken for an
// empty inventory and migrated.
constexpr int kApplicationId = 0x636c6374;  // "clct"

// migrations[i] takes the schema from version i to i + 1. Append only.
constexpr const char* kMigrations[] = {
    R"SQL(
CREATE TABLE nodes (
    name                 TEXT PRIMARY KEY,
    host                 TEXT NOT NULL,
    port                 INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    user                 TEXT NOT NULL,
    identity             TEXT NOT NULL DEFAULT '',
    host_key_type        TEXT NOT NULL,
    host_key             TEXT NOT NULL,
    host_key_fingerprint TEXT NOT NULL,
    created_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;
CREATE TABLE node_labels (
    node  TEXT NOT NULL REFERENCES nodes(name) ON DELETE CASCADE,
    key   TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (node, key)
) STRICT;
CREATE TABLE node_groups (
    node  TEXT NOT NULL REFERENCES nodes(name) ON DELETE CASCADE,
    name  TEXT NOT NULL,
    PRIMARY KEY (node, name)
) STRICT;
CREATE INDEX node_groups_by_name ON node_groups(name);
CREATE TABLE node_facts (
    node        TEXT PRIMARY KEY REFERENCES nodes(name) ON DELETE CASCADE,
    facts       TEXT NOT NULL,
    gathered_at TEXT NOT NULL
) STRICT;
-- Containers clusterctl started; a node with instances is not removed lightly.
CREATE TABLE instances (
    name       TEXT PRIMARY KEY,
    node       TEXT NOT NULL REFERENCES nodes(name) ON DELETE CASCADE,
    image      TEXT NOT NULL,
    owner      TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;
CREATE INDEX instances_by_node ON instances(node);
)SQL",
    // 2: SSH key distribution. An account (node, remote user) outlives its
    // last placement so sync and audit still visit it; dropping the node
    // drops its accounts and, through them, their placements.
    R"SQL(
CREATE TABLE keys (
    name        TEXT PRIMARY KEY,
    type        TEXT NOT NULL,
    public_key  TEXT NOT NULL,  -- base64 blob as in authorized_keys
    fingerprint TEXT NOT NULL UNIQUE,
    comment     TEXT NOT NULL DEFAULT '',
    owner       TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;
CREATE TABLE key_accounts (
    node        TEXT NOT NULL REFERENCES nodes(name) ON DELETE CASCADE,
    remote_user TEXT NOT NULL,
    PRIMARY KEY (node, remote_user)
) STRICT;
CREATE TABLE key_placements (
    key         TEXT NOT NULL REFERENCES keys(name) ON DELETE CASCADE,
    node        TEXT NOT NULL,
    remote_user TEXT NOT NULL,
    options     TEXT NOT NULL DEFAULT '',
    pushed_at   TEXT NOT NULL,
    PRIMARY KEY (key, node, remote_user),
    FOREIGN KEY (node, remote_user) REFERENCES key_accounts(node, remote_user) ON DELETE CASCADE
) STRICT;
CREATE INDEX key_placements_by_account ON key_placements(node, remote_user);
)SQL",
};

constexpr int kKnownVersions = static_cast<int>(std::size(kMigrations));

Result<int> read_pragma(sql::Database& db, const char* pragma) {
    auto stmt = sql::Statement::prepare(db, fmt::format("PRAGMA {}", pragma));
    if (!stmt) return std::unexpected(stmt.error());
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    return *row ? static_cast<int>(stmt->integer(0)) : 0;
}

Result<bool> has_tables(sql::Database& db) {
    auto stmt = sql::Statement::prepare(db, "SELECT count(*) FROM sqlite_schema");
    if (!stmt) return std::unexpected(stmt.error());
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    return stmt->integer(0) > 0;
}

// The schema version after checking the file is ours and not from a newer clusterctl.
Result<int> checked_version(sql::Database& db, int target_version) {
    auto version = read_pragma(db, "user_version");
    if (!version) return std::unexpected(version.error());
    auto app_id = read_pragma(db, "application_id");
    if (!app_id) return std::unexpected(app_id.error());

    if (*version > target_version)
        return fail(ErrorKind::inventory,
                    fmt::format("inventory \"{}\" has schema version {}, newer than this clusterctl knows ({}); "
                                "upgrade clusterctl (nothing was changed)",
                                db.path(), *version, target_version));
    if (*app_id != 0 && *app_id != kApplicationId)
        return fail(ErrorKind::inventory,
                    fmt::format("inventory \"{}\" is an SQLite file of another application (application_id {:#x})",
                                db.path(), *app_id));
    if (*version == 0) {
        auto tables = has_tables(db);
        if (!tables) return std::unexpected(tables.error());
        if (*tables)
            return fail(ErrorKind::inventory,
                        fmt::format("inventory \"{}\" is an SQLite database but not a clusterctl inventory", db.path()));
    }
    return version;
}

}  // namespace

Result<void> migrate_inventory(sql::Database& db, int target_version) {
    static_assert(kKnownVersions >= 1);
    // Almost every open finds the schema current: that is read without a transaction, so read-only
    // commands never queue behind a writer's lock. Only a migration takes the write lock, and
    // reads again under it (another process may have migrated meanwhile).
    auto current = checked_version(db, target_version);
    if (!current) return std::unexpected(current.error());
    if (*current == target_version) return {};

    auto tx = sql::Transaction::begin(db);
    if (!tx) return std::unexpected(tx.error());
    auto version = checked_version(db, target_version);
    if (!version) return std::unexpected(version.error());
    if (*version == target_version) return {};  // rolled back: nothing to do

    for (int v = *version; v < target_version; ++v)
        if (auto r = db.exec(kMigrations[v]); !r) return r;
    if (auto r = db.exec(fmt::format("PRAGMA application_id = {}; PRAGMA user_version = {};", kApplicationId,
                                     target_version));
        !r)
        return r;
    return tx->commit();
}

}  // namespace cc
