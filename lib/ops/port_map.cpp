#include "ops/port_map.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "ops/image_nodes.hpp"
#include "remote/command.hpp"
#include "remote/sections.hpp"
#include "runtime/container.hpp"
#include "ops/listening_ports.hpp"
#include "runtime/port_forward.hpp"

namespace cc {

namespace {

// The script's own words for why it failed: its last non-empty stderr line.
Error script_failed(const std::string& instance, const ExecResult& ran) {
    std::string_view text = ran.err;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
    auto newline = text.rfind('\n');
    std::string why(newline == std::string_view::npos ? text : text.substr(newline + 1));
    if (why.empty())
        why = ran.exit_signal.empty() ? fmt::format("exit status {}", ran.exit_status) : "killed by " + ran.exit_signal;
    return {ErrorKind::remote, fmt::format("instance \"{}\": port forward rules: {}", instance, why)};
}

// The running container's IPv4 address, or why ports cannot be forwarded to it.
Result<std::string> container_address(Connection& connection, RuntimeKind kind, const std::string& instance,
                                      std::chrono::milliseconds timeout) {
    auto ran = run_bounded(connection, remote_command(inspect_argv(kind, instance), timeout), timeout,
                           SectionLimits{kMaxInspectBytes, 1});
    if (!ran) return std::unexpected(ran.error());
    if (ran->exit_status != 0) return std::unexpected(runtime_failed(Runtime(kind), "inspect", *ran));
    auto state = parse_container_inspect(ran->out);
    if (!state) return std::unexpected(state.error());
    if (state->status != "running")
        return fail(ErrorKind::conflict,
                    fmt::format("instance \"{}\" is {}, not running: start it first (clusterctl instance start {})",
                                instance, state->status, instance));
    if (state->ip_address.empty())
        return fail(ErrorKind::conflict,
                    fmt::format("instance \"{}\" has no address of its own (host network?): its ports are the "
                                "node's already, nothing to forward",
                                instance));
    return state->ip_address;
}

Result<void> apply_forwards(Connection& connection, const std::string& instance, const std::string& address,
                            const std::vector<ClaimedPort>& forwards, std::chrono::milliseconds timeout) {
    std::vector<PortMap> maps;
    for (const auto& p : forwards) {
        if (p.host_port < 1 || p.host_port > 65535 || p.container_port < 1 || p.container_port > 65535)
            return fail(ErrorKind::invalid_input, fmt::format("port {}:{}: expected 1 to 65535", p.host_port, p.container_port));
        maps.push_back({static_cast<std::uint16_t>(p.host_port), static_cast<std::uint16_t>(p.container_port), p.proto});
    }
    auto text = forward_restore_text(instance, address, maps);
    if (!text) return std::unexpected(text.error());
    auto ran = run_bounded(connection, remote_command(forward_set_argv(instance), timeout), *text, timeout);
    if (!ran) return std::unexpected(ran.error());
    if (ran->exit_status != 0) return std::unexpected(script_failed(instance, *ran));
    return {};
}

Result<void> clear_forwards(Connection& connection, const std::string& instance, std::chrono::milliseconds timeout) {
    auto ran = run_bounded(connection, remote_command(forward_clear_argv(instance), timeout), timeout);
    if (!ran) return std::unexpected(ran.error());
    if (ran->exit_status != 0) return std::unexpected(script_failed(instance, *ran));
    return {};
}

std::vector<ClaimedPort> forwards_only(std::vector<ClaimedPort> ports) {
    std::erase_if(ports, [](const ClaimedPort& p) { return p.via != "forward"; });
    return ports;
}

Result<InstanceRecord> find_instance(OpsContext& ctx, const std::string& name) {
    auto found = ctx.inventory.instances().find(name);
    if (!found) return std::unexpected(found.error());
    if (!*found) return fail(ErrorKind::not_found, fmt::format("no instance named \"{}\"", name));
    return std::move(**found);
}

struct Reached {
    InstanceRecord instance;
    RuntimeKind kind;
    std::unique_ptr<Connection> connection;
};

// The instance (which must be created), its node's runtime and a connection to the node.
Result<Reached> reach_instance(OpsContext& ctx, const std::string& name) {
    if (auto ok = validate_container_name(name); !ok) return std::unexpected(ok.error());
    auto instance = find_instance(ctx, name);
    if (!instance) return std::unexpected(instance.error());
    if (instance->state != "created")
        return fail(ErrorKind::conflict, fmt::format("instance \"{}\" is still being created", name));
    auto node = ctx.inventory.nodes().get(instance->node);
    if (!node) return std::unexpected(node.error());
    auto runtime = runtime_of(*node);
    if (!runtime) return std::unexpected(runtime.error());
    auto connection = connect_pinned(ctx, *node);
    if (!connection) return std::unexpected(connection.error());
    return Reached{std::move(*instance), runtime->kind(), std::move(*connection)};
}

}  // namespace

Result<void> sync_port_forwards(Connection& connection, RuntimeKind kind, const std::string& instance,
                                const std::vector<ClaimedPort>& forwards, std::chrono::milliseconds timeout) {
    if (auto ok = validate_container_name(instance); !ok) return ok;
    auto only = forwards_only(forwards);
    if (only.empty()) return clear_forwards(connection, instance, timeout);
    auto address = container_address(connection, kind, instance, timeout);
    if (!address) return std::unexpected(address.error());
    return apply_forwards(connection, instance, *address, only, timeout);
}

Result<PortMapRow> port_map_add(OpsContext& ctx, const PortMapAddRequest& r) {
    auto reached = reach_instance(ctx, r.instance);
    if (!reached) return std::unexpected(reached.error());
    auto timeout = ctx.settings.command_timeout;
    Connection& connection = *reached->connection;
    // Refused before anything is claimed: the container must be running with an address.
    auto address = container_address(connection, reached->kind, r.instance, timeout);
    if (!address) return std::unexpected(address.error());
    auto ran = run_bounded(connection, with_remote_deadline(listening_ports_command(), timeout), timeout,
                           SectionLimits{kMaxProcNetBytes, 1});
    if (!ran) return std::unexpected(ran.error());
    auto listening = parse_listening_ports(ran->out);
    if (!listening)
        return fail(listening.error().kind, fmt::format("node \"{}\": {}", reached->instance.node, listening.error().message));

    auto claims = ctx.inventory.claims();
    auto claimed = claims.claim_ports(r.instance, {PortAsk{r.container_port, r.host_port, r.proto}}, *listening,
                                      ctx.settings.port_range);
    if (!claimed) return std::unexpected(claimed.error());
    const ClaimedPort port = claimed->front();
    auto all = claims.ports_of(r.instance);
    Result<void> synced = all ? apply_forwards(connection, r.instance, *address, forwards_only(*all), timeout)
                              : Result<void>(std::unexpected(all.error()));
    if (!synced) {
        // Nothing half-done: the restore is atomic, so the node still has the old set.
        (void)claims.release_port(r.instance, port.host_port, port.proto);
        return std::unexpected(synced.error());
    }
    return PortMapRow{r.instance, reached->instance.node, port};
}

Result<PortMapRow> port_map_remove(OpsContext& ctx, const std::string& instance, int host_port, const std::string& proto) {
    if (auto ok = validate_container_name(instance); !ok) return std::unexpected(ok.error());
    auto claims = ctx.inventory.claims();
    auto ports = claims.ports_of(instance);
    if (!ports) return std::unexpected(ports.error());
    auto it = std::find_if(ports->begin(), ports->end(),
                           [&](const ClaimedPort& p) { return p.host_port == host_port && p.proto == proto; });
    if (it == ports->end()) {
        if (auto exists = find_instance(ctx, instance); !exists) return std::unexpected(exists.error());
        return fail(ErrorKind::not_found, fmt::format("instance \"{}\" has no host port {}/{}", instance, host_port, proto));
    }
    if (it->via != "forward")
        return fail(ErrorKind::conflict,
                    fmt::format("instance \"{}\": host port {}/{} was given at create (the runtime's -p); it cannot "
                                "be removed from a running container: re-create the instance without it",
                                instance, host_port, proto));
    const ClaimedPort removed = *it;
    auto reached = reach_instance(ctx, instance);
    if (!reached) return std::unexpected(reached.error());
    std::vector<ClaimedPort> rest;
    for (const auto& p : *ports)
        if (!(p == removed)) rest.push_back(p);
    // Rules first: a rule left behind would send traffic to a port the inventory gives away.
    // A stopped container keeps no rules worth keeping, so an empty set clears without inspect.
    auto remaining = forwards_only(rest);
    Result<void> synced = remaining.empty()
                              ? clear_forwards(*reached->connection, instance, ctx.settings.command_timeout)
                              : sync_port_forwards(*reached->connection, reached->kind, instance, remaining,
                                                   ctx.settings.command_timeout);
    if (!synced) return std::unexpected(synced.error());
    if (auto r = claims.release_port(instance, host_port, proto); !r) return std::unexpected(r.error());
    return PortMapRow{instance, reached->instance.node, removed};
}

Result<std::vector<PortMapRow>> port_map_list(OpsContext& ctx, std::string_view nodeset) {
    auto ports = ctx.inventory.claims().all_ports();
    if (!ports) return std::unexpected(ports.error());
    std::vector<PortMapRow> out;
    if (nodeset.empty()) {
        for (auto& p : *ports) out.push_back({std::move(p.instance), std::move(p.node), std::move(p.port)});
        return out;
    }
    auto nodes = resolve_nodes(ctx, nodeset);
    if (!nodes) return std::unexpected(nodes.error());
    for (auto& p : *ports)
        if (std::any_of(nodes->begin(), nodes->end(), [&](const Node& n) { return n.name == p.node; }))
            out.push_back({std::move(p.instance), std::move(p.node), std::move(p.port)});
    return out;
}

}  // namespace cc
