// How a container is given exactly the GPUs it holds, per vendor and runtime:
//   NVIDIA, podman: CDI `--device nvidia.com/gpu=UUID` (the node's CDI spec, from
//     `nvidia-ctk cdi generate`, names every GPU by UUID);
//   NVIDIA, docker: `--gpus "device=UUID,UUID"` (the double quotes are part of the
//     value: docker reads --gpus as CSV, and the quotes keep the UUID list one field);
//   AMD (ROCm): `--device /dev/kfd`, each GPU's own `/dev/dri/renderD*` (found on
//     the node from its PCI bus id) and `--group-add video`, as ROCm's container
//     guide asks;
//   Jetson (an integrated GPU that nvidia-smi does not list): the whole device,
//     podman `--device nvidia.com/gpu=all` (on Tegra, nvidia-ctk's CSV-mode spec names the
//     integrated GPU "all"; toolkit 1.19 may add a discrete GPU beside it, which this
//     does not pick out), docker `--runtime nvidia` (what JetPack's docker is set up for).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "runtime/runtime.hpp"

namespace cc {

enum class GpuVendor { nvidia, amd, jetson };

struct GpuDevice {
    GpuVendor vendor = GpuVendor::nvidia;
    std::string uuid;         // NVIDIA: "GPU-…" or "MIG-…"; AMD: rocm-smi's id; Jetson: ""
    std::string pci_bus_id;   // AMD: what finds its render node
    std::string render_node;  // AMD: "/dev/dri/renderD128", from parse_render_nodes
};

// The runtime options for `gpus` (all of one vendor). Values are checked so they
// cannot turn into other options or break docker's CSV: an NVIDIA UUID is
// GPU-/MIG- and hex digits and dashes; a render node is /dev/dri/renderD<digits>;
// Jetson is one whole device. Empty `gpus`: no options.
Result<std::vector<std::string>> gpu_device_args(RuntimeKind kind, const std::vector<GpuDevice>& gpus);

// "00000000:17:00.0" (nvidia-smi) or "0000:17:00.0" (rocm-smi, sysfs) → sysfs's
// "0000:17:00.0" in lower case; anything else is refused.
Result<std::string> sysfs_pci_address(std::string_view pci_bus_id);

// Node side: `find /sys/bus/pci/devices/ADDR/drm/ … -maxdepth 1 -name renderD*`,
// one argv for all the GPUs; each found node prints as its full path. A GPU
// without a drm directory makes find fail, and the parser names it.
Result<std::vector<std::string>> render_node_lookup_argv(const std::vector<std::string>& pci_bus_ids);

// One "/dev/dri/renderDN" per bus id, in the order asked. Strict: every line must
// be one of the asked directories followed by renderD<digits>; a GPU with none or
// several is an error naming it; more than kMaxRenderLookupBytes is refused.
constexpr std::size_t kMaxRenderLookupBytes = 64 * 1024;
Result<std::vector<std::string>> parse_render_nodes(const std::vector<std::string>& pci_bus_ids, std::string_view output);

}  // namespace cc
