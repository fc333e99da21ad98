#include "ops/context.hpp"

#include <ctime>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/nodeset.hpp"

namespace cc {

Target target_for(const OpsContext& ctx, const Node& node) {
    Target t;
    t.node = node.name;
    t.host = node.host;
    t.port = node.port;
    t.user = node.user;
    t.identity_files = node.identity.empty() ? ctx.settings.identity_files : std::vector<std::string>{node.identity};
    t.use_agent = ctx.settings.use_agent;
    return t;
}

HostKeyCheck pinned_check(const OpsContext& ctx, const Node& node) {
    HostKeyCheck check;
    check.pinned = node.host_key;
    // Only its @revoked lines matter once a key is pinned: a revocation the
    // admin writes later must stop every command, not just the next node add.
    check.known_hosts_path = ctx.settings.known_hosts;
    return check;
}

ConnectOptions connect_options(const OpsContext& ctx) {
    return {ctx.settings.connect_timeout, ctx.settings.keepalive, ctx.log};
}

Result<std::unique_ptr<Connection>> connect_pinned(OpsContext& ctx, const Node& node) {
    return ctx.transport.connect(target_for(ctx, node), pinned_check(ctx, node), connect_options(ctx));
}

Result<std::vector<Node>> resolve_nodes(OpsContext& ctx, std::string_view nodeset) {
    auto all = ctx.inventory.nodes().list();  // one pass over the file beats a query per name or group
    if (!all) return std::unexpected(all.error());
    std::map<std::string, Node*> by_name;
    std::map<std::string, std::vector<std::string>> groups;
    for (auto& node : *all) {
        by_name[node.name] = &node;
        for (const auto& group : node.groups) groups[group].push_back(node.name);
    }
    auto names = expand_nodeset(nodeset, [&](std::string_view group) -> Result<std::vector<std::string>> {
        if (group == "all") {
            std::vector<std::string> every;
            for (const auto& node : *all) every.push_back(node.name);
            return every;
        }
        if (auto it = groups.find(std::string(group)); it != groups.end()) return it->second;
        std::vector<std::string> known;
        for (const auto& [name, members] : groups) known.push_back(name);
        if (known.empty()) return fail(ErrorKind::not_found, fmt::format("no group \"{}\"; no groups are defined", group));
        return fail(ErrorKind::not_found, fmt::format("no group \"{}\"; groups: {}", group, fmt::join(known, ", ")));
    });
    if (!names) return std::unexpected(names.error());
    // "0 ok" with exit 0 would tell a cron job that everything worked.
    if (names->empty())
        return fail(ErrorKind::not_found,
                    all->empty() ? fmt::format("node set \"{}\" matches no nodes (the inventory has none)", nodeset)
                                 : fmt::format("node set \"{}\" matches no nodes", nodeset));
    std::vector<Node> nodes;
    nodes.reserve(names->size());
    for (const auto& name : *names) {
        auto it = by_name.find(name);
        if (it == by_name.end())
            return fail(ErrorKind::not_found, fmt::format("node \"{}\" is not in the inventory", name));
        nodes.push_back(*it->second);
    }
    return nodes;
}

std::string utc_now_iso8601() {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

}  // namespace cc

namespace cc {

Result<Facts> gather_facts(Connection& connection, const std::string& node, bool with_health,
                           std::chrono::milliseconds timeout) {
    auto facts = read_facts(connection, with_health, timeout);
    if (!facts && facts.error().kind != ErrorKind::remote) return std::unexpected(facts.error());
    if (!facts) return fail(facts.error().kind, fmt::format("node \"{}\": {}", node, facts.error().message));
    facts->gathered_at = utc_now_iso8601();
    return facts;
}

}  // namespace cc
