#include <fmt/format.h>

#include "ops/node_ops.hpp"

namespace cc {

namespace {

Result<std::vector<std::string>> resolve_names(OpsContext& ctx, const std::string& nodeset) {
    auto nodes = resolve_nodes(ctx, nodeset);
    if (!nodes) return std::unexpected(nodes.error());
    std::vector<std::string> names;
    for (const auto& node : *nodes) names.push_back(node.name);
    return names;
}

}  // namespace

Result<std::vector<Node>> node_list(OpsContext& ctx, const std::optional<std::string>& nodeset) {
    if (!nodeset) return ctx.inventory.nodes().list();
    return resolve_nodes(ctx, *nodeset);
}

Result<Node> node_show(OpsContext& ctx, const std::string& name) { return ctx.inventory.nodes().get(name); }

Result<std::vector<std::string>> node_remove(OpsContext& ctx, const std::string& nodeset, bool force) {
    auto names = resolve_names(ctx, nodeset);
    if (!names) return names;
    if (auto removed = ctx.inventory.nodes().remove(*names, force); !removed) return std::unexpected(removed.error());
    return names;
}

Result<LabelChange> parse_label_args(const std::vector<std::string>& args) {
    LabelChange change;
    auto valid_key = [](std::string_view key) {
        if (key.empty() || key.size() > 63) return false;
        for (char c : key)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-' && c != '/')
                return false;
        return true;
    };
    for (const auto& arg : args) {
        auto eq = arg.find('=');
        if (eq == std::string::npos && arg.size() > 1 && arg.back() == '-') {
            std::string key = arg.substr(0, arg.size() - 1);
            if (!valid_key(key)) return fail(ErrorKind::invalid_input, fmt::format("invalid label key \"{}\"", key));
            change.remove.push_back(key);
            continue;
        }
        if (eq == std::string::npos)
            return fail(ErrorKind::invalid_input,
                        fmt::format("invalid label \"{}\": expected key=value (or key- to remove)", arg));
        std::string key = arg.substr(0, eq), value = arg.substr(eq + 1);
        if (!valid_key(key))
            return fail(ErrorKind::invalid_input,
                        fmt::format("invalid label key \"{}\": use letters, digits, '.', '_', '-' or '/'", key));
        for (char c : value)
            if (static_cast<unsigned char>(c) < 0x20)
                return fail(ErrorKind::invalid_input, fmt::format("label \"{}\": value has a control character", key));
        change.set[key] = value;
    }
    return change;
}

Result<std::vector<std::string>> node_label(OpsContext& ctx, const std::string& nodeset, const LabelChange& change) {
    auto names = resolve_names(ctx, nodeset);
    if (!names) return names;
    if (auto updated = ctx.inventory.nodes().update_labels(*names, change); !updated) return std::unexpected(updated.error());
    return names;
}

Result<RekeyPlan> node_rekey_plan(OpsContext& ctx, const std::string& name, const std::string& expected_fingerprint) {
    auto node = ctx.inventory.nodes().get(name);
    if (!node) return std::unexpected(node.error());
    HostKeyCheck check;  // nothing pinned: this command exists to replace the pin
    check.known_hosts_path = ctx.settings.known_hosts;
    check.expected_fingerprint = expected_fingerprint;
    check.accept_new = true;
    auto connection = ctx.transport.connect(target_for(ctx, *node), check, connect_options(ctx));
    if (!connection) return std::unexpected(connection.error());
    return RekeyPlan{node->name, node->host_key, (*connection)->host_key()};
}

Result<void> node_rekey_apply(OpsContext& ctx, const RekeyPlan& plan) {
    return ctx.inventory.nodes().replace_host_key(plan.node, plan.old_key, plan.new_key);
}

namespace {

Result<void> parse_group_changes(const std::vector<std::string>& changes, NodeEdit& edit) {
    for (const auto& change : changes) {
        if (change.size() < 2 || (change.front() != '+' && change.front() != '-'))
            return fail(ErrorKind::invalid_input,
                        fmt::format("invalid group change \"{}\": use +GROUP to add or -GROUP to remove", change));
        (change.front() == '+' ? edit.add_groups : edit.remove_groups).push_back(change.substr(1));
    }
    return {};
}

}  // namespace

Result<Node> node_set(OpsContext& ctx, const NodeSetRequest& request) {
    NodeEdit edit;
    edit.name = request.name;
    edit.host = request.host;
    edit.port = request.port;
    edit.user = request.user;
    edit.identity = request.identity;
    if (auto parsed = parse_group_changes(request.group_changes, edit); !parsed) return std::unexpected(parsed.error());
    std::vector<std::string> groups = edit.add_groups;
    groups.insert(groups.end(), edit.remove_groups.begin(), edit.remove_groups.end());
    if (auto valid = validate_node_fields(request.host, request.port, request.user, request.identity.value_or(""), groups);
        !valid)
        return std::unexpected(valid.error());
    if (!request.host && !request.port && !request.user && !request.identity && groups.empty())
        return fail(ErrorKind::invalid_input,
                    fmt::format("node \"{}\": nothing to change (give --host, --port, --user, --identity or --group)",
                                request.name));
    auto node = ctx.inventory.nodes().get(request.name);
    if (!node) return std::unexpected(node.error());

    Node moved = *node;
    moved.host = request.host.value_or(node->host);
    moved.port = request.port.value_or(node->port);
    moved.user = request.user.value_or(node->user);
    moved.identity = request.identity.value_or(node->identity);
    // A new address is a new host as far as trust goes: pin its key as node add does.
    if (moved.host != node->host || moved.port != node->port) {
        auto check = new_pin_check(ctx, moved.name, moved.host, moved.port, request.accept_new_host_key,
                                   request.host_key_fingerprint);
        if (!check) return std::unexpected(check.error());
        auto connection = ctx.transport.connect(target_for(ctx, moved), *check, connect_options(ctx));
        if (!connection) return std::unexpected(connection.error());
        edit.host_key = (*connection)->host_key();
    }
    if (auto updated = ctx.inventory.nodes().update(edit); !updated) return std::unexpected(updated.error());
    return ctx.inventory.nodes().get(request.name);
}

}  // namespace cc
