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
    // 3: users, quotas, cordon, and what an instance holds. A NULL quota column means the
    // user's level default (from config), so changing a level in config reaches every user on it.
    // instance_gpus / instance_ports carry their node so UNIQUE can refuse a GPU or host port
    // claimed twice on one node: the last line against double allocation, under the claim's
    // BEGIN IMMEDIATE. Their (instance, node) must be the instance's own (composite key).
    R"SQL(
CREATE TABLE users (
    name                TEXT PRIMARY KEY,
    level               TEXT NOT NULL CHECK (level IN ('small', 'mid', 'big')),
    quota_gpus          INTEGER CHECK (quota_gpus >= 0),
    quota_cpus_milli    INTEGER CHECK (quota_cpus_milli >= 0),
    quota_memory_bytes  INTEGER CHECK (quota_memory_bytes >= 0),
    quota_storage_bytes INTEGER CHECK (quota_storage_bytes >= 0),
    quota_instances     INTEGER CHECK (quota_instances >= 0),
    created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
) STRICT;
CREATE TABLE user_volumes (
    user      TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    src       TEXT NOT NULL,
    dst       TEXT NOT NULL,
    read_only INTEGER NOT NULL DEFAULT 0 CHECK (read_only IN (0, 1)),
    PRIMARY KEY (user, dst)
) STRICT;
ALTER TABLE nodes ADD COLUMN cordoned INTEGER NOT NULL DEFAULT 0 CHECK (cordoned IN (0, 1));
-- Rows from before v3 were started containers: 'created'.
ALTER TABLE instances ADD COLUMN state TEXT NOT NULL DEFAULT 'created' CHECK (state IN ('creating', 'created'));
ALTER TABLE instances ADD COLUMN gpus INTEGER NOT NULL DEFAULT 0 CHECK (gpus >= 0);
ALTER TABLE instances ADD COLUMN cpus_milli INTEGER NOT NULL DEFAULT 0 CHECK (cpus_milli >= 0);
ALTER TABLE instances ADD COLUMN memory_bytes INTEGER NOT NULL DEFAULT 0 CHECK (memory_bytes >= 0);
ALTER TABLE instances ADD COLUMN storage_bytes INTEGER NOT NULL DEFAULT 0 CHECK (storage_bytes >= 0);
-- 1 when the runtime applied storage_bytes as a root size limit; else it is reported "not enforced".
ALTER TABLE instances ADD COLUMN storage_enforced INTEGER NOT NULL DEFAULT 0 CHECK (storage_enforced IN (0, 1));
ALTER TABLE instances ADD COLUMN expires_at TEXT;  -- NULL: no TTL
CREATE INDEX instances_by_owner ON instances(owner);
CREATE UNIQUE INDEX instances_name_node ON instances(name, node);
CREATE TABLE instance_labels (
    instance TEXT NOT NULL REFERENCES instances(name) ON DELETE CASCADE,
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (instance, key)
) STRICT;
CREATE TABLE instance_gpus (
    instance TEXT NOT NULL,
    node     TEXT NOT NULL,
    gpu_uuid TEXT NOT NULL,
    UNIQUE (node, gpu_uuid),
    FOREIGN KEY (instance, node) REFERENCES instances(name, node) ON DELETE CASCADE
) STRICT;
CREATE INDEX instance_gpus_by_instance ON instance_gpus(instance);
CREATE TABLE instance_ports (
    instance       TEXT NOT NULL,
    node           TEXT NOT NULL,
    host_port      INTEGER NOT NULL CHECK (host_port BETWEEN 1 AND 65535),
    container_port INTEGER NOT NULL CHECK (container_port BETWEEN 1 AND 65535),
    proto          TEXT NOT NULL CHECK (proto IN ('tcp', 'udp')),
    UNIQUE (node, host_port, proto),
    FOREIGN KEY (instance, node) REFERENCES instances(name, node) ON DELETE CASCADE
) STRICT;
CREATE INDEX instance_ports_by_instance ON instance_ports(instance);
)SQL",
    // 4: how a host port reaches its container. 'runtime': the runtime's own -p at create
    // (survives runtime restarts); 'forward': added live by `port-map add`, a DNAT rule on the
    // node that clusterctl keeps in step (lib/runtime/port_forward.hpp). Older rows were all -p.
    R"SQL(
ALTER TABLE instance_ports ADD COLUMN via TEXT NOT NULL DEFAULT 'runtime' CHECK (via IN ('runtime', 'forward'));
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
