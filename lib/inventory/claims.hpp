// The allocation core: an instance's GPUs and host ports claimed in the inventory, in one
// BEGIN IMMEDIATE transaction, before its container starts. The transaction makes the
// check-then-insert atomic across clusterctl processes; UNIQUE(node, gpu_uuid) and
// UNIQUE(node, host_port, proto) are the last line if it ever were not. No SSH here: the
// caller brings what the node said (its GPUs, GPUs running processes, listening ports).
#pragma once
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/quantity.hpp"
#include "inventory/sqlite.hpp"

namespace cc {

struct PortAsk {
    int container_port = 0;
    std::optional<int> host_port{};  // none: the first free port of the range
    std::string proto = "tcp";     // tcp or udp
};

struct HostPort {
    int port = 0;
    std::string proto = "tcp";
    bool operator==(const HostPort&) const = default;
};

struct ClaimedPort {
    int host_port = 0;
    int container_port = 0;
    std::string proto = "tcp";
    bool operator==(const ClaimedPort&) const = default;
};

struct ClaimRequest {
    std::string instance;
    std::string owner;  // "" : no owner, no quota; otherwise a registered user
    std::string node;
    std::string image;
    int gpu_count = 0;                    // GPUs to pick, when gpu_uuids is empty
    std::vector<std::string> gpu_uuids;   // exactly these GPUs
    std::vector<std::string> node_gpus;   // every GPU UUID on the node, in the node's order
    std::vector<std::string> busy_gpus;   // GPUs running a process now (held by nobody we know)
    std::int64_t cpus_milli = 0;
    std::int64_t memory_bytes = 0;
    std::int64_t storage_bytes = 0;
    std::vector<PortAsk> ports;
    std::vector<HostPort> listening;  // ports listening on the node now
    PortRange port_range;
    std::optional<std::string> expires_at;
    std::map<std::string, std::string> labels;
    // The levels' limits from config (Settings::levels); a user's own quota overrides them.
    std::map<std::string, ResourceLimits> levels;
};

struct Claim {
    std::string instance;
    std::string node;
    std::vector<std::string> gpus;  // UUIDs, in the node's order
    std::vector<ClaimedPort> ports;  // in the order asked
};

// Reached as `inventory.claims()`.
class ClaimTable {
public:
    explicit ClaimTable(sql::Database& db) : db_(db) {}

    // Checks the owner's quota, picks free GPUs (held by no instance, running no process) and
    // free host ports (claimed by no instance, not listening on the node), and records the
    // instance in state 'creating' with them; all or nothing. Refusals are conflict errors
    // that name the limit, or say "no free GPU" / "no free host port".
    Result<Claim> claim(const ClaimRequest& request);

    // More host ports for an existing instance (port-map add), picked as claim() does.
    Result<std::vector<ClaimedPort>> claim_ports(const std::string& instance, const std::vector<PortAsk>& ports,
                                                 const std::vector<HostPort>& listening, const PortRange& range);

    // The container started: the claim becomes a 'created' instance. `storage_enforced`: the
    // runtime applied its storage size as a root size limit (else `user usage` says "not enforced").
    Result<void> mark_created(const std::string& instance, bool storage_enforced = false);
    // The start failed: the instance and everything it held go, if it is still 'creating'
    // (a 'created' instance is removed by `instance rm`, never by a failed retry).
    Result<void> release(const std::string& instance);
    // Claims still 'creating' after `age` were left by a clusterctl killed mid-create (a live
    // create is long done by then): they go, with what they held. How many went.
    Result<int> release_stale(std::chrono::seconds age);

    // `port-map rm`: one host port of `instance` back to the pool (not_found when it holds none such).
    Result<void> release_port(const std::string& instance, int host_port, const std::string& proto);

    // What one instance holds: GPUs by UUID, ports by host port.
    Result<std::vector<std::string>> gpus_of(const std::string& instance);
    Result<std::vector<ClaimedPort>> ports_of(const std::string& instance);
    // GPUs held by instances on `node`, by UUID.
    Result<std::vector<std::string>> held_gpus(const std::string& node);
    // Host ports claimed on `node`, by port.
    Result<std::vector<ClaimedPort>> ports_on(const std::string& node);

private:
    sql::Database& db_;
};

// What a node offers for placement, gathered by the caller.
struct NodeCapacity {
    std::string node;
    bool cordoned = false;
    bool has_runtime = true;
    int free_gpus = 0;
    std::optional<std::int64_t> free_cpus_milli{};    // none: not known, not checked
    std::optional<std::int64_t> free_memory_bytes{};  // none: not known, not checked
};

struct PlacementAsk {
    int gpus = 0;
    std::int64_t cpus_milli = 0;
    std::int64_t memory_bytes = 0;
};

// Why `node` cannot take `ask` ("gpu07: 1 free GPU, 2 asked", "gpu07: cordoned"), or
// nullopt when it fits.
std::optional<std::string> misfit(const NodeCapacity& node, const PlacementAsk& ask);

struct Placement {
    std::optional<std::string> node;   // the chosen node
    std::vector<std::string> reasons;  // one per node that does not fit, in the order given
};

// Of the nodes that fit, the one with the fewest free GPUs (the best fit, so nodes with
// many free GPUs stay free for large asks); ties go to the first given.
Placement place(const std::vector<NodeCapacity>& nodes, const PlacementAsk& ask);

}  // namespace cc
