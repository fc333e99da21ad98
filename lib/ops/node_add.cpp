#include <unistd.h>

#include <fmt/format.h>

#include "core/nodeset.hpp"
#include "ops/node_ops.hpp"

namespace cc {

namespace {

bool is_word(std::string_view s, std::string_view extra) {
    if (s.empty() || s.front() == '-') return false;
    for (char c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-' &&
            extra.find(c) == std::string_view::npos)
            return false;
    return true;
}

Result<void> validate(const NodeAddRequest& r) {
    if (auto name = validate_node_name(r.name); !name) return std::unexpected(name.error());
    return validate_node_fields(r.host, r.port, r.user, r.identity, r.groups);
}

}  // namespace

Result<void> validate_node_fields(const std::optional<std::string>& host, std::optional<int> port,
                                  const std::optional<std::string>& user, const std::string& identity,
                                  const std::vector<std::string>& groups) {
    if (host && !is_valid_host(*host))
        return fail(ErrorKind::invalid_input, fmt::format("invalid host \"{}\": expected a host name or IP address", *host));
    if (port && (*port < 1 || *port > 65535))
        return fail(ErrorKind::invalid_input, fmt::format("invalid port {}: expected 1-65535", *port));
    if (user && !is_word(*user, ""))
        return fail(ErrorKind::invalid_input, fmt::format("invalid user \"{}\"", *user));
    if (!identity.empty() && ::access(identity.c_str(), R_OK) != 0)
        return fail(ErrorKind::invalid_input, fmt::format("identity file \"{}\" cannot be read", identity));
    for (const auto& group : groups)
        if (!is_word(group, "") || group == "all")
            return fail(ErrorKind::invalid_input,
                        fmt::format("invalid group \"{}\": use letters, digits, '.', '_' or '-' (\"all\" is reserved)",
                                    group));
    return {};
}

Result<HostKeyCheck> new_pin_check(OpsContext& ctx, const std::string& node, const std::string& host, int port,
                                   bool accept_new, const std::string& expected_fingerprint) {
    HostKeyCheck check;
    check.known_hosts_path = ctx.settings.known_hosts;
    check.expected_fingerprint = expected_fingerprint;
    check.accept_new = accept_new || ctx.settings.host_key_policy == HostKeyPolicy::accept_new;
    auto others = ctx.inventory.nodes().at_address(host, port);
    if (!others) return std::unexpected(others.error());
    for (const auto& other : *others) {
        if (other.name == node) continue;
        check.pinned = other.host_key;
        check.pinned_by = other.name;
        break;
    }
    return check;
}

Result<Node> node_add(OpsContext& ctx, const NodeAddRequest& request) {
    if (auto valid = validate(request); !valid) return std::unexpected(valid.error());
    // Fail before touching the network when the name is taken.
    auto existing = ctx.inventory.nodes().find(request.name);
    if (!existing) return std::unexpected(existing.error());
    if (*existing) return fail(ErrorKind::conflict, fmt::format("node \"{}\" already exists", request.name));

    Node node;
    node.name = request.name;
    node.host = request.host;
    node.port = request.port.value_or(22);
    node.user = request.user.value_or(ctx.settings.ssh_user);
    node.identity = request.identity;
    node.labels = request.labels;
    node.groups = request.groups;

    auto check = new_pin_check(ctx, node.name, node.host, node.port, request.accept_new_host_key,
                               request.host_key_fingerprint);
    if (!check) return std::unexpected(check.error());
    auto connection = ctx.transport.connect(target_for(ctx, node), *check, connect_options(ctx));
    if (!connection) return std::unexpected(connection.error());
    auto facts = gather_facts(**connection, node.name, false, ctx.settings.command_timeout);
    if (!facts) return std::unexpected(facts.error());
    node.host_key = (*connection)->host_key();
    node.facts = std::move(*facts);
    if (auto added = ctx.inventory.nodes().add(node); !added) return std::unexpected(added.error());
    return ctx.inventory.nodes().get(node.name);
}

}  // namespace cc
