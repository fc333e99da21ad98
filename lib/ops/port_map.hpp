// `port-map add|rm|ls`: host ports added to (or taken from) a running instance, and the
// one function that makes a node's DNAT rules match the inventory (sync_port_forwards),
// which instance start/restart/rm call too. The mechanism is in lib/runtime/port_forward.hpp.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inventory/claims.hpp"
#include "ops/context.hpp"
#include "runtime/runtime.hpp"

namespace cc {

// Makes the node's rules for `instance` forward exactly `forwards` (its via "forward" ports)
// to the container's current address, in one atomic replacement; empty removes the
// instance's chain and jump (the container need not exist then). Idempotent. Refused, with
// nothing changed, when the container is not running or has no address (host network).
Result<void> sync_port_forwards(Connection& connection, RuntimeKind kind, const std::string& instance,
                                const std::vector<ClaimedPort>& forwards,
                                std::chrono::milliseconds timeout = std::chrono::seconds(60));

// One row of `port-map ls`, and what add/rm report.
struct PortMapRow {
    std::string instance;
    std::string node;
    ClaimedPort port;
};

struct PortMapAddRequest {
    std::string instance;
    int container_port = 0;
    std::optional<int> host_port{};  // none: the first free port of [instances] port_range
    std::string proto = "tcp";
};

// Claims the host port (free in the inventory and not listening on the node), then syncs the
// node's rules; when the sync fails the claim is released again.
Result<PortMapRow> port_map_add(OpsContext& ctx, const PortMapAddRequest& request);
// Releases a via "forward" port and syncs; a via "runtime" port (given at create) is refused.
Result<PortMapRow> port_map_remove(OpsContext& ctx, const std::string& instance, int host_port,
                                   const std::string& proto);
// From the inventory alone; nodeset "" = every node.
Result<std::vector<PortMapRow>> port_map_list(OpsContext& ctx, std::string_view nodeset);

}  // namespace cc
