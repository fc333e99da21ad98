// The local SQLite inventory: the source of truth for nodes and what runs
// on them. One Inventory per process; every change is one transaction.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "inventory/node.hpp"
#include "inventory/sqlite.hpp"

namespace cc {

constexpr int kInventorySchemaVersion = 2;

struct LabelChange {
    std::map<std::string, std::string> set;
    std::vector<std::string> remove;
};

// A change to one node's connection fields and groups (node set); unset
// fields stay as they are.
struct NodeEdit {
    std::string name;
    std::optional<std::string> host;
    std::optional<int> port;
    std::optional<std::string> user;
    std::optional<std::string> identity;
    std::optional<HostKey> host_key;  // re-pinned with a host or port change
    std::vector<std::string> add_groups;
    std::vector<std::string> remove_groups;
};

class Inventory {
public:
    // Creates the file (0600) when missing and takes group/other access off an
    // existing one; runs forward migrations (taking the write lock only then)
    // and refuses a schema newer than this binary knows. `own_directory`: the
    // default location, whose directory is created 0700 (and kept 0700); an
    // explicit path's directory must exist.
    static Result<Inventory> open(const std::string& path, bool own_directory = false);

    Result<std::vector<Node>> list_nodes();
    Result<std::optional<Node>> find_node(const std::string& name);
    Result<Node> get_node(const std::string& name);  // not_found when absent
    Result<std::vector<std::string>> node_names();
    Result<std::vector<std::string>> group_members(const std::string& group);
    // Nodes registered at this host:port (a host key is pinned per address too), by name.
    Result<std::vector<Node>> nodes_at(const std::string& host, int port);

    Result<void> add_node(const Node& node);
    // Refuses while instances are recorded on the node unless `force`.
    Result<void> remove_nodes(const std::vector<std::string>& names, bool force);
    Result<void> update_facts(const std::vector<std::pair<std::string, Facts>>& facts);
    Result<void> update_labels(const std::vector<std::string>& names, const LabelChange& change);
    // Pins `key` only while `expected` is still the pinned key (refuses if the pin moved meanwhile).
    Result<void> replace_host_key(const std::string& name, const HostKey& expected, const HostKey& key);
    // One transaction: every field of `edit`, or nothing.
    Result<void> update_node(const NodeEdit& edit);
    Result<int> instance_count(const std::string& node);
    Result<std::vector<InstanceRecord>> list_instances();

    // Keys (inventory/keys.cpp). add_key refuses a taken name and a key
    // already registered under another name (same fingerprint), naming it.
    Result<void> add_key(const KeyRecord& key);
    Result<std::vector<KeyRecord>> list_keys();  // by name
    Result<KeyRecord> get_key(const std::string& name);  // not_found when absent
    Result<std::optional<KeyRecord>> find_key_by_fingerprint(const std::string& fingerprint);
    // Removes the key and its placements.
    Result<void> remove_key(const std::string& name);
    // By node, remote user, key.
    Result<std::vector<KeyPlacement>> list_placements();
    Result<std::vector<KeyAccount>> list_key_accounts();  // by node, remote user
    // One transaction: upserts `set` (by key, node, remote user; the account
    // is recorded too), then deletes `removed` (matched by key, node, remote user).
    Result<void> record_placements(const std::vector<KeyPlacement>& set, const std::vector<KeyPlacement>& removed);

    int schema_version() const { return kInventorySchemaVersion; }
    const std::string& path() const { return db_.path(); }

private:
    explicit Inventory(sql::Database db) : db_(std::move(db)) {}
    Result<void> load_details(Node& node);
    sql::Database db_;
};

}  // namespace cc
