#include <algorithm>
#include <array>

#include "gpu/gpu_query.hpp"

namespace cc {

namespace {

// How each runtime names a container's cgroup directory (with ".scope"
// removed), by cgroup manager:
//   podman    systemd: machine.slice/libpod-ID.scope[/container], rootless under
//             user@UID.service/…; cgroupfs: /libpod_parent/libpod-ID
//   docker    systemd: system.slice/docker-ID.scope; cgroupfs: /docker/ID
//   containerd (CRI) systemd: …/cri-containerd-ID.scope; nerdctl: nerdctl-ID.scope
//   CRI-O     systemd: …/crio-ID.scope
// conmon gets its own libpod-conmon-ID / crio-conmon-ID directory: a
// process there is the monitor, not in the container, and matches no prefix.
struct Prefix {
    std::string_view prefix;
    std::string_view runtime;
};

constexpr std::array<Prefix, 5> prefixes = {{
    {"libpod-", "podman"},
    {"docker-", "docker"},
    {"cri-containerd-", "containerd"},
    {"nerdctl-", "containerd"},
    {"crio-", "cri-o"},
}};

bool is_container_id(std::string_view s) {
    return s.size() == 64 && std::ranges::all_of(s, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// The container named by one line's cgroup path, outermost first.
std::optional<ContainerRef> from_path(std::string_view path) {
    std::string_view parent;
    while (!path.empty()) {
        std::size_t slash = path.find('/');
        std::string_view part = path.substr(0, slash);
        path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
        if (part.ends_with(".scope")) part.remove_suffix(6);
        for (const Prefix& p : prefixes)
            if (part.starts_with(p.prefix) && is_container_id(part.substr(p.prefix.size())))
                return ContainerRef{std::string(p.runtime), std::string(part.substr(p.prefix.size()))};
        // A bare ID: docker's cgroupfs layout, or kubelet's cgroupfs layout
        // (kubepods/…/pod<UID>/ID) where the runtime is not in the path.
        if (is_container_id(part)) return ContainerRef{parent == "docker" ? "docker" : "", std::string(part)};
        if (!part.empty()) parent = part;
    }
    return std::nullopt;
}

}  // namespace

std::optional<ContainerRef> container_from_cgroup(std::string_view proc_cgroup) {
    // Lines are "HIERARCHY:CONTROLLERS:PATH" (v1: one per hierarchy; v2: "0::PATH").
    // v1 hierarchies normally agree; the first that names a container decides.
    // Any white space separates lines: remote scripts flatten the file with
    // tr '\n' ' ', and no runtime puts a space in a cgroup path.
    while (!proc_cgroup.empty()) {
        std::size_t eol = proc_cgroup.find_first_of(" \t\r\n");
        std::string_view line = proc_cgroup.substr(0, eol);
        proc_cgroup = eol == std::string_view::npos ? std::string_view{} : proc_cgroup.substr(eol + 1);
        std::size_t first = line.find(':');
        std::size_t second = first == std::string_view::npos ? first : line.find(':', first + 1);
        if (second == std::string_view::npos) continue;
        if (auto ref = from_path(line.substr(second + 1))) return ref;
    }
    return std::nullopt;
}

}  // namespace cc
