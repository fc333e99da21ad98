// `instance …`: containers on nodes, owned by users, holding GPUs and host ports
// claimed in the inventory before the container starts (inventory/claims.hpp).
// create: place → probe the node → claim → push the image if missing → run →
// mark created; any failure after the claim releases it and removes what the
// runtime left, so nothing stays held.
#pragma once
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inventory/claims.hpp"
#include "inventory/instances.hpp"
#include "ops/context.hpp"
#include "runtime/container.hpp"

namespace cc {

// What an instance is: its record, what it holds, and what its node says of it.
struct InstanceView {
    InstanceRecord record;
    std::vector<std::string> gpus;  // UUIDs
    std::vector<ClaimedPort> ports;
    std::map<std::string, std::string> labels;
    // Live: the runtime's state ("running", "exited", "created", …), "missing" when the node
    // has no such container, "unreachable" when the node could not be asked, "" when not asked.
    std::string status;
    std::string started_at;                  // UTC RFC 3339 of the last start, when the runtime says
    std::string detail;                      // why the status is unreachable/unknown
    bool image_pushed = false;               // create pushed the image to the node first
};

struct InstanceCreateRequest {
    std::string name;
    std::string image;
    std::string node;                   // "" : placed on a node that fits
    std::string owner;                  // "" : no owner, no quota
    std::string gpus;                   // "" , a count "2", or UUIDs "GPU-…,GPU-…"
    std::string cpus;                   // "" or "1.5"
    std::string memory;                 // "" or "64G"
    std::string storage;                // "" or "100G": the container's root size, where enforceable
    std::vector<std::string> ports;     // "[HOST:]PORT[/udp]"
    std::vector<std::string> env;       // "K=V"
    std::vector<std::string> volumes;   // "SRC:DST[:ro]"
    std::vector<std::string> labels;    // "k=v"
    std::string ttl;                    // "" or a duration
    std::vector<std::string> command;   // after the image
    std::string push_from;              // the source `image push` reads when the node lacks the image ("" : image)
};

// The checked form of a request's texts (pure, for unit tests): errors name the bad value.
struct ParsedCreate {
    int gpu_count = 0;
    std::vector<std::string> gpu_uuids;
    std::int64_t cpus_milli = 0;
    std::int64_t memory_bytes = 0;
    std::int64_t storage_bytes = 0;
    std::vector<PortAsk> ports;
    std::vector<KeyValue> env;
    std::vector<VolumeMount> volumes;
    std::map<std::string, std::string> labels;
    std::optional<std::chrono::milliseconds> ttl;
};
Result<ParsedCreate> parse_create_request(const InstanceCreateRequest& request);
// "8888", "30001:8888", "53/udp", "30053:53/udp".
Result<PortAsk> parse_port_ask(std::string_view text);

Result<InstanceView> instance_create(OpsContext& ctx, const InstanceCreateRequest& request);

// The instances on `nodeset`'s nodes ("" = all) owned by `owner` ("" = anyone), each with
// its live status; every node asked once, in parallel. An unreachable node's instances
// say "unreachable" (the listing itself does not fail).
Result<std::vector<InstanceView>> instance_list(OpsContext& ctx, std::string_view nodeset, const std::string& owner);
Result<InstanceView> instance_show(OpsContext& ctx, const std::string& name);

enum class InstanceAction { start, stop, restart };
// One NodeResult per instance, named by the instance (its node in the error).
Result<std::vector<NodeResult<InstanceView>>> instance_act(OpsContext& ctx, const std::vector<std::string>& names,
                                                           InstanceAction action);
// Removes each container (rm -f) and then its record, freeing its GPUs and ports. A node
// that cannot be reached keeps the record (the container may still run) unless `force_record`.
Result<std::vector<NodeResult<InstanceView>>> instance_remove(OpsContext& ctx, const std::vector<std::string>& names,
                                                              bool force_record);

// `instance logs|exec`: the instance's node and the argv to run there.
struct InstanceCommand {
    Node node;
    std::vector<std::string> argv;
};
Result<InstanceCommand> instance_logs_command(OpsContext& ctx, const std::string& name, bool follow,
                                              std::optional<std::uint32_t> tail);
Result<InstanceCommand> instance_exec_command(OpsContext& ctx, const std::string& name,
                                              const std::vector<std::string>& command);

}  // namespace cc
