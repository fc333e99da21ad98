// The local SQLite inventory: the source of truth for nodes and what runs
// on them. One Inventory per process holds the connection; each table is
// reached through its own small class (inventory.nodes(), .keys(),
// .instances()), and every change is one transaction.
#pragma once
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "inventory/claims.hpp"
#include "inventory/instances.hpp"
#include "inventory/keys.hpp"
#include "inventory/nodes.hpp"
#include "inventory/sqlite.hpp"
#include "inventory/users.hpp"

namespace cc {

constexpr int kInventorySchemaVersion = 4;

class Inventory {
public:
    // Creates the file (0600) when missing and takes group/other access off an
    // existing one; runs forward migrations (taking the write lock only then)
    // and refuses a schema newer than this binary knows. `own_directory`: the
    // default location, whose directory is created 0700 (and kept 0700); an
    // explicit path's directory must exist.
    static Result<Inventory> open(const std::string& path, bool own_directory = false);

    // Views over this inventory's connection: use them while the Inventory lives.
    NodeTable nodes() { return NodeTable(db_); }
    KeyTable keys() { return KeyTable(db_); }
    InstanceTable instances() { return InstanceTable(db_); }
    UserTable users() { return UserTable(db_); }
    ClaimTable claims() { return ClaimTable(db_); }

    int schema_version() const { return kInventorySchemaVersion; }
    const std::string& path() const { return db_.path(); }
    std::uint64_t statements_prepared() const { return db_.statements_prepared(); }

private:
    explicit Inventory(sql::Database db) : db_(std::move(db)) {}
    sql::Database db_;
};

}  // namespace cc
