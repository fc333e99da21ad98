// One remote round trip per node for everything `gpu status|ps|free` shows:
// GPU metrics, compute processes, each process's user and cgroup, and the
// node's containers (only when some process is on a GPU).
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "gpu/gpu_query.hpp"

namespace cc {

struct ProcessOwner {
    std::string user;
    std::string cgroup;  // /proc/PID/cgroup, lines joined by spaces
};

struct NodeGpuReport {
    std::string vendor;                       // "nvidia", "amd" or "none"
    std::string error;                        // the tool is there but failed: its message
    std::vector<GpuSample> gpus;
    std::vector<GpuProcessSample> processes;
    std::map<int, ProcessOwner> owners;       // by pid
    std::map<std::string, std::string> container_names;  // full container id → name
    std::map<std::string, std::string> container_runtimes;  // full container id → podman|docker
};

std::string node_gpu_script();
Result<NodeGpuReport> parse_node_gpu_output(std::string_view output);

}  // namespace cc
