#include "inventory/claims.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "core/units.hpp"
#include "inventory/rows.hpp"
#include "inventory/users.hpp"

namespace cc {

namespace {

constexpr auto kPortRow = sql::row<ClaimedPort>(sql::column("host_port", &ClaimedPort::host_port),
                                                sql::column("container_port", &ClaimedPort::container_port),
                                                sql::column("proto", &ClaimedPort::proto));

std::string plural(std::int64_t n, std::string_view one, std::string_view many) {
    return fmt::format("{} {}", n, n == 1 ? one : many);
}

// `user "alice": 2 GPUs asked, 1 of 2 in use (quota gpus=2)`, or nothing when it fits.
std::optional<std::string> over_quota(const std::string& owner, const ResourceLimits& limits, const ResourceUse& use,
                                      const ClaimRequest& r) {
    struct Ask {
        const char* key;
        std::int64_t asked;
        std::string asked_text;
    };
    std::int64_t gpus = r.gpu_uuids.empty() ? r.gpu_count : static_cast<std::int64_t>(r.gpu_uuids.size());
    const Ask asks[] = {
        {"instances", 1, "1 instance"},
        {"gpus", gpus, plural(gpus, "GPU", "GPUs")},
        {"cpus", r.cpus_milli, format_cpus(r.cpus_milli) + " CPUs"},
        {"memory", r.memory_bytes, format_limit("memory", r.memory_bytes) + " memory"},
        {"storage", r.storage_bytes, format_limit("storage", r.storage_bytes) + " storage"},
    };
    for (const auto& ask : asks) {
        std::int64_t limit = limit_of(limits, ask.key);
        std::int64_t used = limit_of(use, ask.key);
        if (ask.asked > 0 && used + ask.asked > limit)
            return fmt::format("user \"{}\": {} asked, {} of {} in use (quota {}={})", owner, ask.asked_text,
                               format_limit(ask.key, used), format_limit(ask.key, limit), ask.key,
                               format_limit(ask.key, limit));
    }
    return std::nullopt;
}

Result<std::vector<std::string>> pick_gpus(sql::Database& db, const ClaimRequest& r) {
    auto held = ClaimTable(db).held_gpus(r.node);
    if (!held) return held;
    std::set<std::string> taken(held->begin(), held->end());
    std::set<std::string> busy(r.busy_gpus.begin(), r.busy_gpus.end());
    if (!r.gpu_uuids.empty()) {
        for (const auto& uuid : r.gpu_uuids) {
            if (std::find(r.node_gpus.begin(), r.node_gpus.end(), uuid) == r.node_gpus.end())
                return fail(ErrorKind::not_found, fmt::format("node \"{}\" has no GPU \"{}\"", r.node, uuid));
            if (taken.contains(uuid))
                return fail(ErrorKind::conflict,
                            fmt::format("node \"{}\": no free GPU \"{}\": held by another instance", r.node, uuid));
            if (busy.contains(uuid))
                return fail(ErrorKind::conflict,
                            fmt::format("node \"{}\": no free GPU \"{}\": a process is running on it", r.node, uuid));
        }
        std::set<std::string> once(r.gpu_uuids.begin(), r.gpu_uuids.end());
        if (once.size() != r.gpu_uuids.size())
            return fail(ErrorKind::invalid_input, fmt::format("GPUs \"{}\": a GPU is named twice", r.gpu_uuids.front()));
        return r.gpu_uuids;
    }
    std::vector<std::string> picked;
    int held_here = 0, busy_here = 0;
    for (const auto& uuid : r.node_gpus) {
        if (taken.contains(uuid)) ++held_here;
        else if (busy.contains(uuid)) ++busy_here;
        else if (std::ssize(picked) < r.gpu_count) picked.push_back(uuid);
    }
    if (std::ssize(picked) < r.gpu_count) {
        int free = static_cast<int>(r.node_gpus.size()) - held_here - busy_here;
        return fail(ErrorKind::conflict,
                    fmt::format("node \"{}\": no free GPU for {} asked ({} free of {}: {} held by instances, {} running "
                                "processes)",
                                r.node, r.gpu_count, free, r.node_gpus.size(), held_here, busy_here));
    }
    return picked;
}

// Host ports for `asks` on `node`, none claimed in the inventory or listening there.
Result<std::vector<ClaimedPort>> pick_ports(sql::Database& db, const std::string& node, const std::vector<PortAsk>& asks,
                                            const std::vector<HostPort>& listening, const PortRange& range) {
    auto claimed = sql::select_all(db,
                                   sql::row<HostPort>(sql::column("host_port", &HostPort::port),
                                                      sql::column("proto", &HostPort::proto)),
                                   "FROM instance_ports WHERE node = ?1", node);
    if (!claimed) return sql::pass(claimed);
    std::set<std::pair<int, std::string>> in_use;
    for (const auto& p : *claimed) in_use.emplace(p.port, p.proto);
    for (const auto& p : listening) in_use.emplace(p.port, p.proto);

    std::vector<ClaimedPort> picked;
    for (const auto& ask : asks) {
        if (ask.proto != "tcp" && ask.proto != "udp")
            return fail(ErrorKind::invalid_input, fmt::format("protocol \"{}\": expected tcp or udp", ask.proto));
        if (ask.container_port < 1 || ask.container_port > 65535)
            return fail(ErrorKind::invalid_input, fmt::format("port {}: expected 1 to 65535", ask.container_port));
        std::optional<int> found;
        if (ask.host_port) {
            if (*ask.host_port < 1 || *ask.host_port > 65535)
                return fail(ErrorKind::invalid_input, fmt::format("host port {}: expected 1 to 65535", *ask.host_port));
            if (in_use.contains({*ask.host_port, ask.proto}))
                return fail(ErrorKind::conflict, fmt::format("node \"{}\": no free host port {}/{}: in use", node,
                                                             *ask.host_port, ask.proto));
            found = *ask.host_port;
        }
        for (int port = range.first; port <= range.last && !found; ++port)
            if (!in_use.contains({port, ask.proto})) found = port;
        if (!found)
            return fail(ErrorKind::conflict, fmt::format("node \"{}\": no free host port in {} for {}/{}", node,
                                                         format_port_range(range), ask.container_port, ask.proto));
        in_use.emplace(*found, ask.proto);
        picked.push_back({*found, ask.container_port, ask.proto});
    }
    return picked;
}

Result<void> insert_ports(sql::Database& db, const std::string& instance, const std::string& node,
                          const std::vector<ClaimedPort>& ports) {
    for (const auto& p : ports)
        if (auto r = sql::execute(db,
                                  "INSERT INTO instance_ports (instance, node, host_port, container_port, proto) "
                                  "VALUES (?1, ?2, ?3, ?4, ?5)",
                                  instance, node, p.host_port, p.container_port, p.proto);
            !r)
            return r;
    return {};
}

}  // namespace

Result<std::vector<std::string>> ClaimTable::held_gpus(const std::string& node) {
    return sql::select_values<std::string>(db_, "SELECT gpu_uuid FROM instance_gpus WHERE node = ?1 ORDER BY gpu_uuid",
                                           node);
}

Result<std::vector<ClaimedPort>> ClaimTable::ports_on(const std::string& node) {
    return sql::select_all(db_, kPortRow, "FROM instance_ports WHERE node = ?1 ORDER BY host_port, proto", node);
}

Result<std::vector<ClaimedPort>> ClaimTable::ports_of(const std::string& instance) {
    return sql::select_all(db_, kPortRow, "FROM instance_ports WHERE instance = ?1 ORDER BY host_port, proto",
                           instance);
}

Result<std::vector<std::string>> ClaimTable::gpus_of(const std::string& instance) {
    return sql::select_values<std::string>(db_, "SELECT gpu_uuid FROM instance_gpus WHERE instance = ?1 ORDER BY rowid",
                                           instance);
}

Result<void> ClaimTable::release_port(const std::string& instance, int host_port, const std::string& proto) {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return sql::pass(tx);
    if (auto r = sql::execute(db_, "DELETE FROM instance_ports WHERE instance = ?1 AND host_port = ?2 AND proto = ?3",
                              instance, host_port, proto);
        !r)
        return r;
    if (db_.changes() == 0)
        return fail(ErrorKind::not_found,
                    fmt::format("instance \"{}\" has no host port {}/{}", instance, host_port, proto));
    return tx->commit();
}

Result<Claim> ClaimTable::claim(const ClaimRequest& r) {
    if (r.gpu_count < 0) return fail(ErrorKind::invalid_input, fmt::format("gpus {}: must not be negative", r.gpu_count));
    // Everything below reads and writes under the write lock taken here, so no other
    // process can claim between our check and our insert.
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return sql::pass(tx);

    auto node = sql::select_value<int>(db_, "SELECT cordoned FROM nodes WHERE name = ?1", r.node);
    if (!node) return sql::pass(node);
    if (!*node) return fail(ErrorKind::not_found, fmt::format("node \"{}\" is not in the inventory", r.node));
    if (**node) return fail(ErrorKind::conflict, fmt::format("node \"{}\" is cordoned (clusterctl node uncordon)", r.node));
    auto taken = sql::exists(db_, "SELECT 1 FROM instances WHERE name = ?1", r.instance);
    if (!taken) return sql::pass(taken);
    if (*taken) return fail(ErrorKind::conflict, fmt::format("instance \"{}\" exists already", r.instance));

    if (!r.owner.empty()) {
        auto user = UserTable(db_).get(r.owner);
        if (!user) return sql::pass(user);
        auto level = r.levels.find(user->level);
        ResourceLimits base = level != r.levels.end() ? level->second : builtin_level(user->level);
        auto use = owner_usage(db_, r.owner);
        if (!use) return sql::pass(use);
        if (auto why = over_quota(r.owner, effective_limits(base, user->quota), *use, r))
            return fail(ErrorKind::conflict, *why);
    }

    auto gpus = pick_gpus(db_, r);
    if (!gpus) return sql::pass(gpus);
    auto ports = pick_ports(db_, r.node, r.ports, r.listening, r.port_range);
    if (!ports) return sql::pass(ports);

    auto insert = sql::prepare(db_,
                               "INSERT INTO instances (name, node, image, owner, state, gpus, cpus_milli, memory_bytes, "
                               "storage_bytes) VALUES (?1, ?2, ?3, ?4, 'creating', ?5, ?6, ?7, ?8)",
                               r.instance, r.node, r.image, r.owner, static_cast<std::int64_t>(gpus->size()),
                               r.cpus_milli, r.memory_bytes, r.storage_bytes);
    if (!insert) return sql::pass(insert);
    if (auto done = insert->run(); !done) return sql::pass(done);
    if (r.expires_at)
        if (auto e = sql::execute(db_, "UPDATE instances SET expires_at = ?2 WHERE name = ?1", r.instance, *r.expires_at);
            !e)
            return sql::pass(e);
    for (const auto& [key, value] : r.labels)
        if (auto e = sql::execute(db_, "INSERT INTO instance_labels (instance, key, value) VALUES (?1, ?2, ?3)",
                                  r.instance, key, value);
            !e)
            return sql::pass(e);
    for (const auto& uuid : *gpus)
        if (auto e = sql::execute(db_, "INSERT INTO instance_gpus (instance, node, gpu_uuid) VALUES (?1, ?2, ?3)",
                                  r.instance, r.node, uuid);
            !e)
            return sql::pass(e);
    if (auto e = insert_ports(db_, r.instance, r.node, *ports); !e) return sql::pass(e);
    if (auto c = tx->commit(); !c) return sql::pass(c);
    return Claim{r.instance, r.node, std::move(*gpus), std::move(*ports)};
}

Result<std::vector<ClaimedPort>> ClaimTable::claim_ports(const std::string& instance, const std::vector<PortAsk>& asks,
                                                         const std::vector<HostPort>& listening, const PortRange& range) {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return sql::pass(tx);
    auto node = sql::select_value<std::string>(db_, "SELECT node FROM instances WHERE name = ?1", instance);
    if (!node) return sql::pass(node);
    if (!*node) return fail(ErrorKind::not_found, fmt::format("no instance named \"{}\"", instance));
    auto ports = pick_ports(db_, **node, asks, listening, range);
    if (!ports) return ports;
    if (auto e = insert_ports(db_, instance, **node, *ports); !e) return sql::pass(e);
    if (auto c = tx->commit(); !c) return sql::pass(c);
    return ports;
}

Result<void> ClaimTable::mark_created(const std::string& instance, bool storage_enforced) {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return sql::pass(tx);
    if (auto r = sql::execute(db_, "UPDATE instances SET state = 'created', storage_enforced = ?2 WHERE name = ?1",
                              instance, storage_enforced ? 1 : 0);
        !r)
        return r;
    if (db_.changes() == 0) return fail(ErrorKind::not_found, fmt::format("no instance named \"{}\"", instance));
    return tx->commit();
}

Result<int> ClaimTable::release_stale(std::chrono::seconds age) {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return sql::pass(tx);
    if (auto r = sql::execute(db_,
                              "DELETE FROM instances WHERE state = 'creating' AND "
                              "created_at < strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?1)",
                              fmt::format("-{} seconds", age.count()));
        !r)
        return sql::pass(r);
    int gone = db_.changes();
    if (auto c = tx->commit(); !c) return sql::pass(c);
    return gone;
}

Result<void> ClaimTable::release(const std::string& instance) {
    auto tx = sql::Transaction::begin(db_);
    if (!tx) return sql::pass(tx);
    // GPUs, ports and labels go with the row (ON DELETE CASCADE).
    if (auto r = sql::execute(db_, "DELETE FROM instances WHERE name = ?1 AND state = 'creating'", instance); !r)
        return r;
    if (db_.changes() == 0) {
        auto exists = sql::exists(db_, "SELECT 1 FROM instances WHERE name = ?1", instance);
        if (!exists) return sql::pass(exists);
        if (*exists)
            return fail(ErrorKind::conflict,
                        fmt::format("instance \"{}\" was created; it is removed with clusterctl instance rm", instance));
        return fail(ErrorKind::not_found, fmt::format("no instance named \"{}\"", instance));
    }
    return tx->commit();
}

std::optional<std::string> misfit(const NodeCapacity& n, const PlacementAsk& ask) {
    if (n.cordoned) return fmt::format("{}: cordoned", n.node);
    if (!n.has_runtime) return fmt::format("{}: no container runtime", n.node);
    if (n.free_gpus < ask.gpus)
        return fmt::format("{}: {} free {}, {} asked", n.node, n.free_gpus, n.free_gpus == 1 ? "GPU" : "GPUs", ask.gpus);
    if (n.free_cpus_milli && *n.free_cpus_milli < ask.cpus_milli)
        return fmt::format("{}: {} free CPUs, {} asked", n.node, format_cpus(*n.free_cpus_milli),
                           format_cpus(ask.cpus_milli));
    if (n.free_memory_bytes && *n.free_memory_bytes < ask.memory_bytes)
        return fmt::format("{}: {} memory free, {} asked", n.node, format_bytes(static_cast<std::uint64_t>(*n.free_memory_bytes)),
                           format_bytes(static_cast<std::uint64_t>(ask.memory_bytes)));
    return std::nullopt;
}

Placement place(const std::vector<NodeCapacity>& nodes, const PlacementAsk& ask) {
    Placement out;
    const NodeCapacity* best = nullptr;
    for (const auto& n : nodes) {
        if (auto why = misfit(n, ask)) out.reasons.push_back(std::move(*why));
        else if (!best || n.free_gpus < best->free_gpus) best = &n;
    }
    if (best) out.node = best->node;
    return out;
}

}  // namespace cc
