// What every use case needs: the inventory, the way to reach nodes, and the
// effective settings. Built once by cli/ and passed down.
#pragma once
#include "config/config.hpp"
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

// Expands a NODESET against the inventory; every name must be registered.
Result<std::vector<Node>> resolve_nodes(OpsContext& ctx, std::string_view nodeset);

std::string utc_now_iso8601();

}  // namespace cc

namespace cc {

// Runs the facts script on an open connection: one round trip.
Result<Facts> gather_facts(Connection& connection, const std::string& node, bool with_health,
                           std::chrono::milliseconds timeout);

}  // namespace cc
