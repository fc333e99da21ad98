#include "runtime/gpu_devices.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "core/strings.hpp"

namespace cc {

namespace {

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// What nvidia-smi prints: "GPU-" or "MIG-" then hex groups. Nothing that docker's
// CSV reader, CDI's name rules or an option parser could read differently.
bool valid_nvidia_uuid(std::string_view uuid) {
    if (!(uuid.starts_with("GPU-") || uuid.starts_with("MIG-")) || uuid.size() > 96) return false;
    std::string_view rest = uuid.substr(4);
    return !rest.empty() && is_hex(rest.front()) &&
           std::all_of(rest.begin(), rest.end(), [](char c) { return is_hex(c) || c == '-'; });
}

bool valid_render_node(std::string_view path) {
    constexpr std::string_view prefix = "/dev/dri/renderD";
    if (!path.starts_with(prefix)) return false;
    std::string_view digits = path.substr(prefix.size());
    return !digits.empty() && digits.size() <= 6 && std::all_of(digits.begin(), digits.end(), is_digit);
}

std::string printable(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 80)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
    return out;
}

std::string drm_dir(const std::string& address) { return "/sys/bus/pci/devices/" + address + "/drm/"; }

// Each GPU's drm directory, in order; one GPU asked twice is the caller's mistake (its
// render node would be found once and given twice).
Result<std::vector<std::string>> drm_dirs(const std::vector<std::string>& pci_bus_ids) {
    std::vector<std::string> dirs;
    for (const auto& id : pci_bus_ids) {
        auto address = sysfs_pci_address(id);
        if (!address) return std::unexpected(address.error());
        if (std::find(dirs.begin(), dirs.end(), drm_dir(*address)) != dirs.end())
            return fail(ErrorKind::invalid_input, fmt::format("GPU {} asked twice", *address));
        dirs.push_back(drm_dir(*address));
    }
    return dirs;
}

}  // namespace

Result<std::vector<std::string>> gpu_device_args(RuntimeKind kind, const std::vector<GpuDevice>& gpus) {
    std::vector<std::string> args;
    if (gpus.empty()) return args;
    const GpuVendor vendor = gpus.front().vendor;
    if (std::any_of(gpus.begin(), gpus.end(), [&](const GpuDevice& g) { return g.vendor != vendor; }))
        return fail(ErrorKind::invalid_input, "GPUs of different vendors in one container");
    if (vendor == GpuVendor::jetson) {
        if (gpus.size() != 1) return fail(ErrorKind::invalid_input, fmt::format("a Jetson has one GPU, {} asked", gpus.size()));
        if (kind == RuntimeKind::podman) return std::vector<std::string>{"--device", "nvidia.com/gpu=all"};
        return std::vector<std::string>{"--runtime", "nvidia"};
    }
    if (vendor == GpuVendor::amd) {
        args = {"--device", "/dev/kfd"};
        for (const auto& gpu : gpus) {
            if (!valid_render_node(gpu.render_node))
                return fail(ErrorKind::invalid_input,
                            fmt::format("AMD GPU \"{}\": bad render node \"{}\"", printable(gpu.uuid), printable(gpu.render_node)));
            args.emplace_back("--device");
            args.push_back(gpu.render_node);
        }
        // ROCm opens /dev/kfd and the render nodes as group video (render on newer distributions
        // is a second group, but video is what its container guide asks).
        args.emplace_back("--group-add");
        args.emplace_back("video");
        return args;
    }
    std::string uuids;
    for (const auto& gpu : gpus) {
        if (!valid_nvidia_uuid(gpu.uuid))
            return fail(ErrorKind::invalid_input, fmt::format("bad NVIDIA GPU UUID \"{}\"", printable(gpu.uuid)));
        if (kind == RuntimeKind::podman) {
            args.emplace_back("--device");
            args.push_back("nvidia.com/gpu=" + gpu.uuid);
        }
        uuids += (uuids.empty() ? "" : ",") + gpu.uuid;
    }
    if (kind == RuntimeKind::docker) {
        args.emplace_back("--gpus");
        args.push_back("\"device=" + uuids + "\"");
    }
    return args;
}

Result<std::string> sysfs_pci_address(std::string_view pci_bus_id) {
    // DOMAIN:BUS:DEVICE.FUNCTION; nvidia-smi pads the domain to 8 digits, sysfs to 4.
    auto bad = [&] { return fail(ErrorKind::invalid_input, fmt::format("bad PCI bus id \"{}\"", printable(pci_bus_id))); };
    auto colon = pci_bus_id.find(':');
    if (colon == std::string_view::npos) return bad();
    std::string_view domain = pci_bus_id.substr(0, colon), rest = pci_bus_id.substr(colon + 1);
    if (domain.size() < 4 || domain.size() > 8 || !std::all_of(domain.begin(), domain.end(), is_hex)) return bad();
    if (domain.find_first_not_of('0') < domain.size() - 4) return bad();  // a domain past 16 bits
    domain = domain.substr(domain.size() - 4);
    // BB:DD.F
    if (rest.size() != 7 || rest[2] != ':' || rest[5] != '.' || !is_hex(rest[0]) || !is_hex(rest[1]) || !is_hex(rest[3]) ||
        !is_hex(rest[4]) || rest[6] < '0' || rest[6] > '7')
        return bad();
    std::string out = std::string(domain) + ":" + std::string(rest);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return out;
}

Result<std::vector<std::string>> render_node_lookup_argv(const std::vector<std::string>& pci_bus_ids) {
    if (pci_bus_ids.empty()) return fail(ErrorKind::invalid_input, "no GPU to find a render node for");
    auto dirs = drm_dirs(pci_bus_ids);
    if (!dirs) return std::unexpected(dirs.error());
    std::vector<std::string> argv{"find"};
    argv.insert(argv.end(), dirs->begin(), dirs->end());
    for (const char* word : {"-maxdepth", "1", "-name", "renderD*"}) argv.emplace_back(word);
    return argv;
}

Result<std::vector<std::string>> parse_render_nodes(const std::vector<std::string>& pci_bus_ids, std::string_view output) {
    if (output.size() > kMaxRenderLookupBytes)
        return fail(ErrorKind::remote, fmt::format("render node lookup: more than {} bytes", kMaxRenderLookupBytes));
    auto asked = drm_dirs(pci_bus_ids);
    if (!asked) return std::unexpected(asked.error());
    const std::vector<std::string>& dirs = *asked;
    std::vector<std::string> nodes(pci_bus_ids.size());
    for (std::string_view line : split(output, '\n')) {
        if (line.empty()) continue;
        auto dir = std::find_if(dirs.begin(), dirs.end(), [&](const std::string& d) { return line.starts_with(d); });
        std::string node = dir == dirs.end() ? std::string() : "/dev/dri/" + std::string(line.substr(dir->size()));
        if (dir == dirs.end() || !valid_render_node(node))
            return fail(ErrorKind::remote, fmt::format("render node lookup: unexpected line \"{}\"", printable(line)));
        auto& slot = nodes[static_cast<std::size_t>(dir - dirs.begin())];
        if (!slot.empty())
            return fail(ErrorKind::remote, fmt::format("GPU {}: more than one render node", pci_bus_ids[std::size_t(dir - dirs.begin())]));
        slot = node;
    }
    for (std::size_t i = 0; i < nodes.size(); ++i)
        if (nodes[i].empty()) return fail(ErrorKind::remote, fmt::format("GPU {}: no render node under {}", printable(pci_bus_ids[i]), dirs[i]));
    return nodes;
}

}  // namespace cc
