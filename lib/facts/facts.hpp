// What a node is: gathered in one remote round trip by facts_script() and
// stored as JSON in the inventory.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace cc {

class Connection;  // ssh/transport.hpp, which reaches this header through inventory/node.hpp

struct GpuInfo {
    int index = 0;
    std::string uuid;
    std::string name;
    std::uint64_t memory_total_mib = 0;
};

struct Facts {
    std::string hostname;
    std::string os;
    std::string kernel;
    std::string arch;
    int cpus = 0;
    std::uint64_t memory_bytes = 0;
    std::uint64_t disk_free_bytes = 0;   // root file system
    std::uint64_t disk_total_bytes = 0;
    std::string runtime;                 // "podman", "docker" or "" (none)
    std::string runtime_version;
    std::string runtime_error;           // set by health checks when the runtime does not answer
    bool nvidia_smi = false;             // nvidia-smi on PATH
    std::string gpu_driver;
    std::string gpu_error;               // nvidia-smi present but failed: its message
    std::vector<GpuInfo> gpus;
    std::string gathered_at;             // UTC, ISO 8601
};

// The one remote script that gathers facts, its output in sections framed
// by `nonce` (lib/remote/sections). `with_health` adds the slower runtime
// liveness probe used by `node check`. GPUs are lib/gpu's inventory query.
std::string facts_script(bool with_health, std::string_view nonce);

// Parses the script's sections.
Result<Facts> parse_facts(std::string_view output, std::string_view nonce);

// Runs the script on `connection`, the node stopping it past `deadline`.
Result<Facts> read_facts(Connection& connection, bool with_health, std::chrono::milliseconds deadline);

void to_json(nlohmann::json& j, const GpuInfo& gpu);
void from_json(const nlohmann::json& j, GpuInfo& gpu);
void to_json(nlohmann::json& j, const Facts& facts);
void from_json(const nlohmann::json& j, Facts& facts);

}  // namespace cc
