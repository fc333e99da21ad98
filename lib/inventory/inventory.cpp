#include "inventory/inventory.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/local_paths.hpp"
#include "inventory/schema.hpp"

namespace cc {

namespace {

std::string parent_dir(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return "";
    return slash == 0 ? "/" : path.substr(0, slash);
}

// The inventory pins host keys and records who may log in where: keep it
// private from the first byte, before SQLite creates it with the umask, and
// take back what an older version (or a copy with cp) left readable by others.
Result<void> open_private_file(const std::string& path, bool own_directory) {
    std::string dir = parent_dir(path);
    if (own_directory) {
        if (auto r = make_directories(dir, 0700); !r) return r;
        struct stat st {};
        if (::stat(dir.c_str(), &st) == 0 && st.st_uid == ::geteuid() && (st.st_mode & 077) != 0)
            ::chmod(dir.c_str(), st.st_mode & 0700);  // best effort: the file's own mode is what matters
    } else {
        // An explicit path is the user's: a typo must not grow directories and an empty inventory.
        struct stat st {};
        if (::stat(dir.empty() ? "." : dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
            return fail(ErrorKind::io, fmt::format("inventory \"{}\": no such directory \"{}\" (only the default "
                                                   "location is created)", path, dir));
    }
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return fail(ErrorKind::io, fmt::format("cannot open inventory \"{}\": {}", path, std::strerror(errno)));
    struct stat st {};
    bool loose = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid() && (st.st_mode & 077) != 0;
    int chmod_errno = loose && ::fchmod(fd, st.st_mode & 0700) != 0 ? errno : 0;
    ::close(fd);
    if (chmod_errno != 0)
        return fail(ErrorKind::io, fmt::format("cannot make inventory \"{}\" private (0600): {}", path,
                                               std::strerror(chmod_errno)));
    return {};
}

constexpr const char* kNodeColumns =
    "name, host, port, user, identity, host_key_type, host_key, host_key_fingerprint, created_at";

Node node_from_row(const sql::Statement& row) {
    Node node;
    node.name = row.text(0);
    node.host = row.text(1);
    node.port = static_cast<int>(row.integer(2));
    node.user = row.text(3);
    node.identity = row.text(4);
    node.host_key = {row.text(5), row.text(6), row.text(7)};
    node.created_at = row.text(8);
    return node;
}

template <class T>
std::unexpected<Error> pass(const Result<T>& r) {
    return std::unexpected(r.error());
}

}  // namespace

Result<Inventory> Inventory::open(const std::string& path, bool own_directory) {
    if (auto r = open_private_file(path, own_directory); !r) return std::unexpected(r.error());
    auto db = sql::Database::open(path, false);
    if (!db) return pass(db);
    if (auto r = migrate_inventory(*db, kInventorySchemaVersion); !r) return pass(r);
    return Inventory(std::move(*db));
}

Result<void> Inventory::load_details(Node& node) {
    auto labels = sql::Statement::prepare(db_, "SELECT key, value FROM node_labels WHERE node = ?1 ORDER BY key");
    if (!labels) return pass(labels);
    labels->bind(1, node.name);
    for (;;) {
        auto row = labels->step();
        if (!row) return pass(row);
        if (!*row) break;
        node.labels[labels->text(0)] = labels->text(1);
    }
    auto groups = sql::Statement::prepare(db_, "SELECT name FROM node_groups WHERE node = ?1 ORDER BY name");
    if (!groups) return pass(groups);
    groups->bind(1, node.name);
    for (;;) {
        auto row = groups->step();
        if (!row) return pass(row);
        if (!*row) break;
        node.groups.push_back(groups->text(0));
    }
    auto facts = sql::Statement::prepare(db_, "SELECT facts FROM node_facts WHERE node = ?1");
    if (!facts) return pass(facts);
    facts->bind(1, node.name);
    auto row = facts->step();
    if (!row) return pass(row);
    if (*row) {
        auto parsed = nlohmann::json::parse(facts->text(0), nullptr, false);
        if (parsed.is_discarded())
            return fail(ErrorKind::inventory, fmt::format("inventory: facts of node \"{}\" are not valid JSON", node.name));
        node.facts = parsed.get<Facts>();
    }
    return {};
}

Result<std::vector<Node>> Inventory::list_nodes() {
    auto stmt = sql::Statement::prepare(db_, fmt::format("SELECT {} FROM nodes ORDER BY name", kNodeColumns));
    if (!stmt) return pass(stmt);
    std::vector<Node> nodes;
    for (;;) {
        auto row = stmt->step();
        if (!row) return pass(row);
        if (!*row) break;
        nodes.push_back(node_from_row(*stmt));
    }
    for (auto& node : nodes)
        if (auto r = load_details(node); !r) return pass(r);
    return nodes;
}

Result<std::optional<Node>> Inventory::find_node(const std::string& name) {
    auto stmt = sql::Statement::prepare(db_, fmt::format("SELECT {} FROM nodes WHERE name = ?1", kNodeColumns));
    if (!stmt) return pass(stmt);
    stmt->bind(1, name);
    auto row = stmt->step();
    if (!row) return pass(row);
    if (!*row) return std::optional<Node>{};
    Node node = node_from_row(*stmt);
    if (auto r = load_details(node); !r) return pass(r);
    return std::optional<Node>{std::move(node)};
}

Result<Node> Inventory::get_node(const std::string& name) {
    auto node = find_node(name);
    if (!node) return pass(node);
    if (!*node) return fail(ErrorKind::not_found, fmt::format("node \"{}\" is not in the inventory", name));
    return std::move(**node);
}

Result<std::vector<std::string>> Inventory::node_names() {
    auto stmt = sql::Statement::prepare(db_, "SELECT name FROM nodes ORDER BY name");
    if (!stmt) return pass(stmt);
    std::vector<std::string> names;
    for (;;) {
        auto row = stmt->step();
        if (!row) return pass(row);
        if (!*row) return names;
        names.push_back(stmt->text(0));
    }
}

Result<std::vector<std::string>> Inventory::group_members(const std::string& group) {
    if (group == "all") return node_names();
    auto stmt = sql::Statement::prepare(db_, "SELECT node FROM node_groups WHERE name = ?1 ORDER BY node");
    if (!stmt) return pass(stmt);
    stmt->bind(1, group);
    std::vector<std::string> names;
    for (;;) {
        auto row = stmt->step();
        if (!row) return pass(row);
        if (!*row) break;
        names.push_back(stmt->text(0));
    }
    if (names.empty()) return fail(ErrorKind::not_found, fmt::format("group \"@{}\" has no nodes", group));
    return names;
}

Result<std::vector<Node>> Inventory::nodes_at(const std::string& host, int port) {
    auto stmt = sql::Statement::prepare(
        db_, fmt::format("SELECT {} FROM nodes WHERE host = ?1 COLLATE NOCASE AND port = ?2 ORDER BY name", kNodeColumns));
    if (!stmt) return pass(stmt);
    stmt->bind(1, host).bind(2, std::int64_t{port});
    std::vector<Node> nodes;
    for (;;) {
        auto row = stmt->step();
        if (!row) return pass(row);
        if (!*row) return nodes;
        nodes.push_back(node_from_row(*stmt));
    }
}

Result<void> Inventory::add_node(const Node& node) {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return pass(tx);
    auto exists = sql::Statement::prepare(db_, "SELECT 1 FROM nodes WHERE name = ?1");
    if (!exists) return pass(exists);
    exists->bind(1, node.name);
    auto found = exists->step();
    if (!found) return pass(found);
    if (*found) return fail(ErrorKind::conflict, fmt::format("node \"{}\" already exists", node.name));

    auto insert = sql::Statement::prepare(
        db_, "INSERT INTO nodes (name, host, port, user, identity, host_key_type, host_key, host_key_fingerprint) "
             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!insert) return pass(insert);
    insert->bind(1, node.name).bind(2, node.host).bind(3, std::int64_t{node.port}).bind(4, node.user);
    insert->bind(5, node.identity).bind(6, node.host_key.type).bind(7, node.host_key.base64);
    insert->bind(8, node.host_key.fingerprint);
    if (auto r = insert->run(); !r) return r;

    for (const auto& [key, value] : node.labels) {
        auto stmt = sql::Statement::prepare(db_, "INSERT INTO node_labels (node, key, value) VALUES (?1, ?2, ?3)");
        if (!stmt) return pass(stmt);
        stmt->bind(1, node.name).bind(2, key).bind(3, value);
        if (auto r = stmt->run(); !r) return r;
    }
    for (const auto& group : node.groups) {
        auto stmt = sql::Statement::prepare(db_, "INSERT OR IGNORE INTO node_groups (node, name) VALUES (?1, ?2)");
        if (!stmt) return pass(stmt);
        stmt->bind(1, node.name).bind(2, group);
        if (auto r = stmt->run(); !r) return r;
    }
    if (node.facts) {
        auto stmt = sql::Statement::prepare(db_, "INSERT INTO node_facts (node, facts, gathered_at) VALUES (?1, ?2, ?3)");
        if (!stmt) return pass(stmt);
        stmt->bind(1, node.name).bind(2, nlohmann::json(*node.facts).dump()).bind(3, node.facts->gathered_at);
        if (auto r = stmt->run(); !r) return r;
    }
    return tx->commit();
}

Result<int> Inventory::instance_count(const std::string& node) {
    auto stmt = sql::Statement::prepare(db_, "SELECT count(*) FROM instances WHERE node = ?1");
    if (!stmt) return pass(stmt);
    stmt->bind(1, node);
    auto row = stmt->step();
    if (!row) return pass(row);
    return static_cast<int>(stmt->integer(0));
}

Result<std::vector<InstanceRecord>> Inventory::list_instances() {
    auto stmt = sql::Statement::prepare(db_, "SELECT name, node, image, owner FROM instances ORDER BY node, name");
    if (!stmt) return pass(stmt);
    std::vector<InstanceRecord> out;
    for (;;) {
        auto row = stmt->step();
        if (!row) return pass(row);
        if (!*row) return out;
        out.push_back({stmt->text(0), stmt->text(1), stmt->text(2), stmt->text(3)});
    }
}

Result<void> Inventory::remove_nodes(const std::vector<std::string>& names, bool force) {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return pass(tx);
    for (const auto& name : names) {
        auto node = find_node(name);
        if (!node) return pass(node);
        if (!*node) return fail(ErrorKind::not_found, fmt::format("node \"{}\" is not in the inventory", name));
        auto instances = instance_count(name);
        if (!instances) return pass(instances);
        if (*instances > 0 && !force)
            return fail(ErrorKind::conflict,
                        fmt::format("node \"{}\" has {} instance(s) recorded; remove them first or use --force "
                                    "(nothing was removed)",
                                    name, *instances));
        auto stmt = sql::Statement::prepare(db_, "DELETE FROM nodes WHERE name = ?1");
        if (!stmt) return pass(stmt);
        stmt->bind(1, name);
        if (auto r = stmt->run(); !r) return r;
    }
    return tx->commit();
}

Result<void> Inventory::update_facts(const std::vector<std::pair<std::string, Facts>>& facts) {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return pass(tx);
    for (const auto& [name, f] : facts) {
        auto stmt = sql::Statement::prepare(
            db_, "INSERT INTO node_facts (node, facts, gathered_at) VALUES (?1, ?2, ?3) "
                 "ON CONFLICT(node) DO UPDATE SET facts = excluded.facts, gathered_at = excluded.gathered_at");
        if (!stmt) return pass(stmt);
        stmt->bind(1, name).bind(2, nlohmann::json(f).dump()).bind(3, f.gathered_at);
        if (auto r = stmt->run(); !r) return r;
    }
    return tx->commit();
}

Result<void> Inventory::update_labels(const std::vector<std::string>& names, const LabelChange& change) {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return pass(tx);
    for (const auto& name : names) {
        for (const auto& key : change.remove) {
            auto stmt = sql::Statement::prepare(db_, "DELETE FROM node_labels WHERE node = ?1 AND key = ?2");
            if (!stmt) return pass(stmt);
            stmt->bind(1, name).bind(2, key);
            if (auto r = stmt->run(); !r) return r;
        }
        for (const auto& [key, value] : change.set) {
            auto stmt = sql::Statement::prepare(
                db_, "INSERT INTO node_labels (node, key, value) VALUES (?1, ?2, ?3) "
                     "ON CONFLICT(node, key) DO UPDATE SET value = excluded.value");
            if (!stmt) return pass(stmt);
            stmt->bind(1, name).bind(2, key).bind(3, value);
            if (auto r = stmt->run(); !r) return r;
        }
    }
    return tx->commit();
}

Result<void> Inventory::replace_host_key(const std::string& name, const HostKey& expected, const HostKey& key) {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return pass(tx);
    auto stmt = sql::Statement::prepare(
        db_, "UPDATE nodes SET host_key_type = ?2, host_key = ?3, host_key_fingerprint = ?4 "
             "WHERE name = ?1 AND host_key = ?5");
    if (!stmt) return pass(stmt);
    stmt->bind(1, name).bind(2, key.type).bind(3, key.base64).bind(4, key.fingerprint).bind(5, expected.base64);
    if (auto r = stmt->run(); !r) return r;
    if (db_.changes() == 0) {
        auto node = find_node(name);
        if (!node) return pass(node);
        if (!*node) return fail(ErrorKind::not_found, fmt::format("node \"{}\" is not in the inventory", name));
        return fail(ErrorKind::conflict, fmt::format("node \"{}\": its pinned host key changed meanwhile ({}); "
                                                     "nothing changed, run the command again",
                                                     name, (*node)->host_key.fingerprint));
    }
    return tx->commit();
}

Result<void> Inventory::update_node(const NodeEdit& edit) {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return pass(tx);
    auto found = find_node(edit.name);
    if (!found) return pass(found);
    if (!*found) return fail(ErrorKind::not_found, fmt::format("node \"{}\" is not in the inventory", edit.name));
    Node node = std::move(**found);
    if (edit.host) node.host = *edit.host;
    if (edit.port) node.port = *edit.port;
    if (edit.user) node.user = *edit.user;
    if (edit.identity) node.identity = *edit.identity;
    if (edit.host_key) node.host_key = *edit.host_key;
    auto update = sql::Statement::prepare(
        db_, "UPDATE nodes SET host = ?2, port = ?3, user = ?4, identity = ?5, host_key_type = ?6, host_key = ?7, "
             "host_key_fingerprint = ?8 WHERE name = ?1");
    if (!update) return pass(update);
    update->bind(1, node.name).bind(2, node.host).bind(3, std::int64_t{node.port}).bind(4, node.user);
    update->bind(5, node.identity).bind(6, node.host_key.type).bind(7, node.host_key.base64);
    update->bind(8, node.host_key.fingerprint);
    if (auto r = update->run(); !r) return r;
    for (const auto& group : edit.remove_groups) {
        auto stmt = sql::Statement::prepare(db_, "DELETE FROM node_groups WHERE node = ?1 AND name = ?2");
        if (!stmt) return pass(stmt);
        stmt->bind(1, node.name).bind(2, group);
        if (auto r = stmt->run(); !r) return r;
    }
    for (const auto& group : edit.add_groups) {
        auto stmt = sql::Statement::prepare(db_, "INSERT OR IGNORE INTO node_groups (node, name) VALUES (?1, ?2)");
        if (!stmt) return pass(stmt);
        stmt->bind(1, node.name).bind(2, group);
        if (auto r = stmt->run(); !r) return r;
    }
    return tx->commit();
}

}  // namespace cc
