// What every use case needs: the inventory, the way to reach nodes, and the
// effective settings. Built once by cli/ and passed down.
#pragma once
#include <functional>
#include <memory>

#include "config/config.hpp"
#include "fanout/engine.hpp"
#include "inventory/inventory.hpp"
#include "ssh/transport.hpp"

namespace cc {

struct OpsContext {
    Inventory& inventory;
    Transport& transport;
    Settings settings;
    StepLog log = {};  // -v: connection and command steps (cli/ writes them to stderr)
};

// How to reach a registered node, with its pinned host key.
Target target_for(const OpsContext& ctx, const Node& node);
HostKeyCheck pinned_check(const OpsContext& ctx, const Node& node);
ConnectOptions connect_options(const OpsContext& ctx);
// Connects to a registered node, accepting only its pinned host key.
Result<std::unique_ptr<Connection>> connect_pinned(OpsContext& ctx, const Node& node);

// Runs `work` on every node through the fan-out engine (lib/fanout/engine.hpp)
// over a connection that accepts only the node's pinned host key.
template <class T>
using NodeWork = std::function<Result<NodeStatus>(Connection&, const Node&, T& value)>;
template <class T>
std::vector<NodeResult<T>> run_on_nodes(OpsContext& ctx, const std::vector<Node>& nodes, const NodeWork<T>& work,
                                        const OnNodeDone<T>& on_done = {}) {
    return run_per_node<T>(
        nodes, ctx.settings.fanout, [&](const Node& node) { return connect_pinned(ctx, node); },
        [&](std::unique_ptr<Connection>& connection, const Node& node, T& value) {
            return work(*connection, node, value);
        },
        on_done);
}

// Expands a NODESET against the inventory; every name must be registered.
Result<std::vector<Node>> resolve_nodes(OpsContext& ctx, std::string_view nodeset);

std::string utc_now_iso8601();

}  // namespace cc

namespace cc {

// Runs the facts script on an open connection: one round trip.
Result<Facts> gather_facts(Connection& connection, const std::string& node, bool with_health,
                           std::chrono::milliseconds timeout);

}  // namespace cc
