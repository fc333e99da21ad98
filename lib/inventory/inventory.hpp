// The local SQLite inventory: the source of truth for nodes and what runs
// on them. One Inventory per process holds the connection; each table is
// reached through its own small class (inventory.nodes(), .keys(),
// .instances()), and every change is one transaction.
#pragma once
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "inventory/instances.hpp"
#include "inventory/keys.hpp"
#include "inventory/nodes.hpp"
#include "inventory/sqlite.hpp"

namespace cc {

constexpr int kInventorySchemaVersion = 2;

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

    // The names callers used before the per-table split; the call-site rename
    // commit replaces every use and removes them.
    Result<std::vector<Node>> list_nodes() { return nodes().list(); }
    Result<std::optional<Node>> find_node(const std::string& name) { return nodes().find(name); }
    Result<Node> get_node(const std::string& name) { return nodes().get(name); }
    Result<std::vector<std::string>> node_names() { return nodes().names(); }
    Result<std::vector<std::string>> group_members(const std::string& group) { return nodes().group_members(group); }
    Result<std::vector<Node>> nodes_at(const std::string& host, int port) { return nodes().at_address(host, port); }
    Result<void> add_node(const Node& node) { return nodes().add(node); }
    Result<void> remove_nodes(const std::vector<std::string>& names, bool force) { return nodes().remove(names, force); }
    Result<void> update_facts(const std::vector<std::pair<std::string, Facts>>& f) { return nodes().update_facts(f); }
    Result<void> update_labels(const std::vector<std::string>& names, const LabelChange& change) {
        return nodes().update_labels(names, change);
    }
    Result<void> replace_host_key(const std::string& name, const HostKey& expected, const HostKey& key) {
        return nodes().replace_host_key(name, expected, key);
    }
    Result<void> update_node(const NodeEdit& edit) { return nodes().update(edit); }
    Result<int> instance_count(const std::string& node) { return instances().count_on(node); }
    Result<std::vector<InstanceRecord>> list_instances() { return instances().list(); }
    Result<void> add_key(const KeyRecord& key) { return keys().add(key); }
    Result<std::vector<KeyRecord>> list_keys() { return keys().list(); }
    Result<KeyRecord> get_key(const std::string& name) { return keys().get(name); }
    Result<std::optional<KeyRecord>> find_key_by_fingerprint(const std::string& fp) { return keys().find_by_fingerprint(fp); }
    Result<void> remove_key(const std::string& name) { return keys().remove(name); }
    Result<std::vector<KeyPlacement>> list_placements() { return keys().placements(); }
    Result<std::vector<KeyAccount>> list_key_accounts() { return keys().accounts(); }
    Result<void> record_placements(const std::vector<KeyPlacement>& set, const std::vector<KeyPlacement>& removed) {
        return keys().record_placements(set, removed);
    }

    int schema_version() const { return kInventorySchemaVersion; }
    const std::string& path() const { return db_.path(); }
    std::uint64_t statements_prepared() const { return db_.statements_prepared(); }

private:
    explicit Inventory(sql::Database db) : db_(std::move(db)) {}
    sql::Database db_;
};

}  // namespace cc
