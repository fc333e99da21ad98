// `gpu status|ps|free`: every node's GPUs and the processes on them, joined
// with the inventory so each GPU says who holds it.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "gpu/node_gpu.hpp"
#include "ops/context.hpp"

namespace cc {

struct GpuProcess {
    int pid = 0;
    std::optional<std::uint64_t> used_memory_mib;
    std::string process_name;
    std::string user;            // unix user on the node
    std::string container_id;    // runtime id, from the pid's cgroup
    std::string container_name;
    std::string runtime;
    std::string instance;        // when the container is one of ours
    std::string owner;
};

struct GpuView {
    GpuSample sample;
    std::vector<GpuProcess> processes;
    std::string holder;  // instance (owner), else container, else user; "" when idle
};

enum class NodeGpuState { ok, no_gpu, no_driver, driver_error, unreachable };
const char* node_gpu_state_name(NodeGpuState state);

// One node's GPUs. Its NodeResult is ok unless the node could not be asked
// (then `state` is unreachable and `error` the result's) or its driver failed
// (driver-error: failed).
struct GpuNode {
    NodeGpuState state = NodeGpuState::unreachable;
    std::string vendor;
    std::string error;
    std::vector<GpuView> gpus;
};

Result<std::vector<NodeResult<GpuNode>>> gpu_status(OpsContext& ctx, const std::string& nodeset);

// GPUs with no process on them and at least `min_free_mib` of free memory.
std::vector<std::pair<const NodeResult<GpuNode>*, const GpuView*>> free_gpus(
    const std::vector<NodeResult<GpuNode>>& nodes, std::uint64_t min_free_mib);

// The join, pure for unit tests: one node's raw report plus the inventory's instances.
std::vector<GpuView> join_gpu_report(const NodeGpuReport& report, const std::vector<InstanceRecord>& instances);

}  // namespace cc
