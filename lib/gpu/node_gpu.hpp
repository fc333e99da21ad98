// One remote round trip per node for everything `gpu status|ps|free` shows:
// GPU metrics, compute processes, each process's user and cgroup, and the
// node's containers (only when some process is on a GPU). The GPU part alone
// (vendor and GPUs) is also what node facts gather, with the same query and
// the same parsers.
#pragma once
#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "gpu/gpu_query.hpp"
#include "remote/sections.hpp"
#include "ssh/transport.hpp"

namespace cc {

// The node's GPU vendor tool and what it said about the GPUs.
struct GpuInventory {
    std::string vendor;             // "nvidia", "amd" or "none"
    std::string error;              // the tool is there but failed: its message
    std::vector<GpuSample> gpus;
};

// POSIX sh printing the sections `vendor`, `gpus` and `gpus_rc` (and setting
// $vendor); it runs after section_functions().
std::string gpu_inventory_script();
// Reads those sections; a missing `vendor` section is an error.
Result<GpuInventory> parse_gpu_inventory(const Sections& sections);

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

std::string node_gpu_script(std::string_view nonce);
Result<NodeGpuReport> parse_node_gpu_output(std::string_view output, std::string_view nonce);

// Runs the script on `connection`, the node stopping it past `deadline`.
Result<NodeGpuReport> read_node_gpu(Connection& connection, std::chrono::milliseconds deadline);

}  // namespace cc
