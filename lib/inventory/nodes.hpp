// Registered nodes: the `nodes` table with its groups, labels and facts.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/host_key_value.hpp"
#include "facts/facts.hpp"
#include "inventory/sqlite.hpp"

namespace cc {

struct Node {
    std::string name;
    std::string host;
    int port = 22;
    std::string user;      // remote login user
    std::string identity;  // private key file pinned to this node, or ""
    HostKey host_key;
    std::map<std::string, std::string> labels;
    std::vector<std::string> groups;
    std::optional<Facts> facts;
    std::string created_at;
    bool cordoned = false;  // no new instance is placed here (`node cordon`)
};

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

// Reached as `inventory.nodes()`; every change is one transaction.
class NodeTable {
public:
    explicit NodeTable(sql::Database& db) : db_(db) {}

    // By name, with labels, groups and facts: four queries however many nodes there are.
    Result<std::vector<Node>> list();
    Result<std::optional<Node>> find(const std::string& name);
    Result<Node> get(const std::string& name);  // not_found when absent
    Result<std::vector<std::string>> names();
    Result<std::vector<std::string>> group_members(const std::string& group);
    // Nodes registered at this host:port (a host key is pinned per address too), by name;
    // without labels, groups and facts.
    Result<std::vector<Node>> at_address(const std::string& host, int port);

    Result<void> add(const Node& node);
    // Refuses while instances are recorded on the node unless `force`.
    Result<void> remove(const std::vector<std::string>& names, bool force);
    Result<void> update_facts(const std::vector<std::pair<std::string, Facts>>& facts);
    Result<void> update_labels(const std::vector<std::string>& names, const LabelChange& change);
    // Pins `key` only while `expected` is still the pinned key (refuses if the pin moved meanwhile).
    Result<void> replace_host_key(const std::string& name, const HostKey& expected, const HostKey& key);
    // One transaction: every field of `edit`, or nothing.
    Result<void> update(const NodeEdit& edit);
    // `node cordon` / `uncordon`: every named node, or none when one is not registered.
    Result<void> set_cordoned(const std::vector<std::string>& names, bool cordoned);

private:
    // Fills labels, groups and facts of `nodes` (sorted by name) from one query per table;
    // `only` restricts the queries to one node.
    Result<void> load_details(std::vector<Node>& nodes, const std::string* only);
    Result<void> add_groups(const std::string& node, const std::vector<std::string>& groups);
    sql::Database& db_;
};

}  // namespace cc
