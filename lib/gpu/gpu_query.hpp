// What a node's GPUs are doing right now, read from the vendor tools' text
// output (nvidia-smi CSV, rocm-smi JSON), and which container a GPU process
// belongs to (/proc/PID/cgroup). Pure parsing: running the commands is the
// caller's business, so everything here is testable against captures.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cc {

// One GPU (for MIG, the parent GPU). A value the tool reports as unavailable
// ("[N/A]", "N/A", "[Not Supported]", "[Unknown Error]", ...) is nullopt or "".
struct GpuSample {
    int index = 0;
    std::string uuid;                          // "GPU-…"; rocm-smi: its "Unique ID" ("0x…")
    std::string name;
    std::string pci_bus_id;
    std::optional<int> utilization_gpu;        // %; nullopt on MIG-enabled GPUs
    std::optional<std::uint64_t> memory_used_mib, memory_total_mib;
    std::optional<int> temperature_c;
    std::optional<double> power_draw_w, power_limit_w;
    std::string mig_mode;                      // "Enabled" | "Disabled" | "" (N/A, AMD)
    std::string driver_version;
};

struct GpuProcessSample {
    std::string gpu_uuid;                      // driver 590 names the parent GPU for MIG instances; "MIG-…" is kept as is
    int pid = 0;
    std::optional<std::uint64_t> used_memory_mib;
    std::string process_name;
};

// The one nvidia-smi invocation for GPUs, and the one for their processes.
// Both keep the CSV header so columns are found by name, whatever their order.
std::string nvidia_gpu_query_command();
std::string nvidia_apps_query_command();

// Output of nvidia_gpu_query_command() (or any --query-gpu CSV with a header
// that holds our fields, with or without units in values; extra columns are
// ignored). Required columns: index, uuid, name, memory.used, memory.total;
// the rest may be absent (nullopt). "No devices were found" is an empty list,
// not an error: a node without GPUs is a fact, not a failure. Any other
// answer that is not our CSV (nvidia-smi's own error lines) is a remote error
// quoting that line.
Result<std::vector<GpuSample>> parse_nvidia_gpu_csv(std::string_view csv_with_header);

// Output of nvidia_apps_query_command(). Required columns: gpu_uuid, pid.
// No processes is a header alone (or "No running processes found"): empty.
Result<std::vector<GpuProcessSample>> parse_nvidia_apps_csv(std::string_view csv_with_header);

// The one rocm-smi invocation, and its JSON output. Keys that changed
// between ROCm releases are read under each of their spellings; warnings
// printed before the JSON are skipped. index comes from the "cardN" key.
std::string rocm_smi_query_command();
Result<std::vector<GpuSample>> parse_rocm_smi_json(std::string_view json);

struct ContainerRef {
    std::string runtime;  // "podman" | "docker" | "containerd" | "cri-o" | "" (a container id, runtime unknown)
    std::string id;       // 64 lowercase hex digits
};

// From the text of /proc/PID/cgroup (v1 or v2 lines, as seen from the host):
// the container the process runs in, if any. For nested containers the
// outermost one is returned: that is the one the host's runtime knows.
std::optional<ContainerRef> container_from_cgroup(std::string_view proc_cgroup);

}  // namespace cc
