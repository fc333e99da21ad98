#include "inventory/nodes.hpp"

#include <unordered_map>

#include <fmt/format.h>

#include "inventory/instances.hpp"
#include "inventory/rows.hpp"

namespace cc {

namespace {

constexpr auto kNodeRow = sql::row<Node>(
    sql::column("name", &Node::name), sql::column("host", &Node::host), sql::column("port", &Node::port),
    sql::column("user", &Node::user), sql::column("identity", &Node::identity),
    sql::column("host_key_type", [](Node& n) -> std::string& { return n.host_key.type; }),
    sql::column("host_key", [](Node& n) -> std::string& { return n.host_key.base64; }),
    sql::column("host_key_fingerprint", [](Node& n) -> std::string& { return n.host_key.fingerprint; }),
    sql::column("created_at", &Node::created_at), sql::column("cordoned", &Node::cordoned));

// One row of a per-node side table (labels, groups, facts).
struct Detail {
    std::string node, key, value;
};
constexpr auto kLabelRow = sql::row<Detail>(sql::column("node", &Detail::node), sql::column("key", &Detail::key),
                                            sql::column("value", &Detail::value));
constexpr auto kGroupRow = sql::row<Detail>(sql::column("node", &Detail::node), sql::column("name", &Detail::key));
constexpr auto kFactsRow = sql::row<Detail>(sql::column("node", &Detail::node), sql::column("facts", &Detail::value));

std::unexpected<Error> not_in_inventory(const std::string& name) {
    return fail(ErrorKind::not_found, fmt::format("node \"{}\" is not in the inventory", name));
}

}  // namespace

Result<void> NodeTable::load_details(std::vector<Node>& nodes, const std::string* only) {
    std::unordered_map<std::string_view, Node*> by_name;
    for (auto& node : nodes) by_name.emplace(node.name, &node);
    // Each side table in one query (filtered to one node when asked), not one query per node.
    auto details = [&](const auto& row, const char* table, const char* order) -> Result<std::vector<Detail>> {
        if (only) return sql::select_all(db_, row, fmt::format("FROM {} WHERE node = ?1 ORDER BY {}", table, order), *only);
        return sql::select_all(db_, row, fmt::format("FROM {} ORDER BY node, {}", table, order));
    };
    auto labels = details(kLabelRow, "node_labels", "key");
    if (!labels) return sql::pass(labels);
    for (auto& d : *labels)
        if (auto it = by_name.find(d.node); it != by_name.end()) it->second->labels[d.key] = d.value;
    auto groups = details(kGroupRow, "node_groups", "name");
    if (!groups) return sql::pass(groups);
    for (auto& d : *groups)
        if (auto it = by_name.find(d.node); it != by_name.end()) it->second->groups.push_back(d.key);
    auto facts = details(kFactsRow, "node_facts", "node");
    if (!facts) return sql::pass(facts);
    for (auto& d : *facts) {
        auto it = by_name.find(d.node);
        if (it == by_name.end()) continue;
        auto parsed = nlohmann::json::parse(d.value, nullptr, false);
        if (parsed.is_discarded())
            return fail(ErrorKind::inventory, fmt::format("inventory: facts of node \"{}\" are not valid JSON", d.node));
        it->second->facts = parsed.get<Facts>();
    }
    return {};
}

Result<std::vector<Node>> NodeTable::list() {
    auto nodes = sql::select_all(db_, kNodeRow, "FROM nodes ORDER BY name");
    if (!nodes) return nodes;
    if (auto r = load_details(*nodes, nullptr); !r) return sql::pass(r);
    return nodes;
}

Result<std::optional<Node>> NodeTable::find(const std::string& name) {
    auto node = sql::select_one(db_, kNodeRow, "FROM nodes WHERE name = ?1", name);
    if (!node || !*node) return node;
    std::vector<Node> one{std::move(**node)};
    if (auto r = load_details(one, &name); !r) return sql::pass(r);
    return std::optional<Node>{std::move(one.front())};
}

Result<Node> NodeTable::get(const std::string& name) {
    auto node = find(name);
    if (!node) return sql::pass(node);
    if (!*node) return not_in_inventory(name);
    return std::move(**node);
}

Result<std::vector<std::string>> NodeTable::names() {
    return sql::select_values<std::string>(db_, "SELECT name FROM nodes ORDER BY name");
}

Result<std::vector<std::string>> NodeTable::group_members(const std::string& group) {
    if (group == "all") return names();
    auto names = sql::select_values<std::string>(db_, "SELECT node FROM node_groups WHERE name = ?1 ORDER BY node",
                                                 group);
    if (names && names->empty()) return fail(ErrorKind::not_found, fmt::format("group \"@{}\" has no nodes", group));
    return names;
}

Result<std::vector<Node>> NodeTable::at_address(const std::string& host, int port) {
    return sql::select_all(db_, kNodeRow, "FROM nodes WHERE host = ?1 COLLATE NOCASE AND port = ?2 ORDER BY name",
                           host, port);
}

Result<void> NodeTable::add_groups(const std::string& node, const std::vector<std::string>& groups) {
    for (const auto& group : groups)
        if (auto r = sql::execute(db_, "INSERT OR IGNORE INTO node_groups (node, name) VALUES (?1, ?2)", node, group);
            !r)
            return r;
    return {};
}

Result<void> NodeTable::add(const Node& node) {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return sql::pass(tx);
    auto exists = sql::exists(db_, "SELECT 1 FROM nodes WHERE name = ?1", node.name);
    if (!exists) return sql::pass(exists);
    if (*exists) return fail(ErrorKind::conflict, fmt::format("node \"{}\" already exists", node.name));

    if (auto r = sql::execute(db_,
                              "INSERT INTO nodes (name, host, port, user, identity, host_key_type, host_key, "
                              "host_key_fingerprint) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                              node.name, node.host, node.port, node.user, node.identity, node.host_key.type,
                              node.host_key.base64, node.host_key.fingerprint);
        !r)
        return r;
    for (const auto& [key, value] : node.labels)
        if (auto r = sql::execute(db_, "INSERT INTO node_labels (node, key, value) VALUES (?1, ?2, ?3)", node.name, key,
                                  value);
            !r)
            return r;
    if (auto r = add_groups(node.name, node.groups); !r) return r;
    if (node.facts)
        if (auto r = sql::execute(db_, "INSERT INTO node_facts (node, facts, gathered_at) VALUES (?1, ?2, ?3)",
                                  node.name, nlohmann::json(*node.facts).dump(), node.facts->gathered_at);
            !r)
            return r;
    return tx->commit();
}

Result<void> NodeTable::remove(const std::vector<std::string>& names, bool force) {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return sql::pass(tx);
    for (const auto& name : names) {
        auto exists = sql::exists(db_, "SELECT 1 FROM nodes WHERE name = ?1", name);
        if (!exists) return sql::pass(exists);
        if (!*exists) return not_in_inventory(name);
        auto instances = InstanceTable(db_).count_on(name);
        if (!instances) return sql::pass(instances);
        if (*instances > 0 && !force)
            return fail(ErrorKind::conflict,
                        fmt::format("node \"{}\" has {} instance(s) recorded; remove them first or use --force "
                                    "(nothing was removed)",
                                    name, *instances));
        if (auto r = sql::execute(db_, "DELETE FROM nodes WHERE name = ?1", name); !r) return r;
    }
    return tx->commit();
}

Result<void> NodeTable::update_facts(const std::vector<std::pair<std::string, Facts>>& facts) {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return sql::pass(tx);
    for (const auto& [name, f] : facts)
        if (auto r = sql::execute(db_,
                                  "INSERT INTO node_facts (node, facts, gathered_at) VALUES (?1, ?2, ?3) "
                                  "ON CONFLICT(node) DO UPDATE SET facts = excluded.facts, "
                                  "gathered_at = excluded.gathered_at",
                                  name, nlohmann::json(f).dump(), f.gathered_at);
            !r)
            return r;
    return tx->commit();
}

Result<void> NodeTable::update_labels(const std::vector<std::string>& names, const LabelChange& change) {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return sql::pass(tx);
    for (const auto& name : names) {
        for (const auto& key : change.remove)
            if (auto r = sql::execute(db_, "DELETE FROM node_labels WHERE node = ?1 AND key = ?2", name, key); !r)
                return r;
        for (const auto& [key, value] : change.set)
            if (auto r = sql::execute(db_,
                                      "INSERT INTO node_labels (node, key, value) VALUES (?1, ?2, ?3) "
                                      "ON CONFLICT(node, key) DO UPDATE SET value = excluded.value",
                                      name, key, value);
                !r)
                return r;
    }
    return tx->commit();
}

Result<void> NodeTable::replace_host_key(const std::string& name, const HostKey& expected, const HostKey& key) {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return sql::pass(tx);
    if (auto r = sql::execute(db_,
                              "UPDATE nodes SET host_key_type = ?2, host_key = ?3, host_key_fingerprint = ?4 "
                              "WHERE name = ?1 AND host_key = ?5",
                              name, key.type, key.base64, key.fingerprint, expected.base64);
        !r)
        return r;
    if (db_.changes() == 0) {
        auto pinned = sql::select_value<std::string>(db_, "SELECT host_key_fingerprint FROM nodes WHERE name = ?1",
                                                     name);
        if (!pinned) return sql::pass(pinned);
        if (!*pinned) return not_in_inventory(name);
        return fail(ErrorKind::conflict, fmt::format("node \"{}\": its pinned host key changed meanwhile ({}); "
                                                     "nothing changed, run the command again",
                                                     name, **pinned));
    }
    return tx->commit();
}

Result<void> NodeTable::update(const NodeEdit& edit) {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return sql::pass(tx);
    auto found = sql::select_one(db_, kNodeRow, "FROM nodes WHERE name = ?1", edit.name);
    if (!found) return sql::pass(found);
    if (!*found) return not_in_inventory(edit.name);
    Node node = std::move(**found);
    if (edit.host) node.host = *edit.host;
    if (edit.port) node.port = *edit.port;
    if (edit.user) node.user = *edit.user;
    if (edit.identity) node.identity = *edit.identity;
    if (edit.host_key) node.host_key = *edit.host_key;
    if (auto r = sql::execute(db_,
                              "UPDATE nodes SET host = ?2, port = ?3, user = ?4, identity = ?5, host_key_type = ?6, "
                              "host_key = ?7, host_key_fingerprint = ?8 WHERE name = ?1",
                              node.name, node.host, node.port, node.user, node.identity, node.host_key.type,
                              node.host_key.base64, node.host_key.fingerprint);
        !r)
        return r;
    for (const auto& group : edit.remove_groups)
        if (auto r = sql::execute(db_, "DELETE FROM node_groups WHERE node = ?1 AND name = ?2", node.name, group); !r)
            return r;
    if (auto r = add_groups(node.name, edit.add_groups); !r) return r;
    return tx->commit();
}

// All or nothing: one unknown name changes no node.
Result<void> NodeTable::set_cordoned(const std::vector<std::string>& names, bool cordoned) {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return sql::pass(tx);
    for (const auto& name : names) {
        if (auto r = sql::execute(db_, "UPDATE nodes SET cordoned = ?2 WHERE name = ?1", name, cordoned ? 1 : 0); !r)
            return r;
        if (db_.changes() == 0) return not_in_inventory(name);
    }
    return tx->commit();
}

}  // namespace cc
