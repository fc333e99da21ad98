// One instance's container as the runtime sees it: a spec (what clusterctl asks
// for) turned into the argv of `podman run -d` / `docker run -d`, and the argv of
// everything done to the container afterwards. Pure functions: the argv goes
// through lib/remote's quoting (remote_command), so a value reaches the runtime
// byte for byte or is refused here, never read by a shell.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/volume_spec.hpp"
#include "runtime/gpu_devices.hpp"
#include "runtime/runtime.hpp"

namespace cc {

// Every container clusterctl starts carries these labels: the listing filters on
// the first, and a user's own --label may not use the prefix (it could fake them).
inline constexpr const char* kInstanceLabel = "clusterctl.instance";
inline constexpr const char* kOwnerLabel = "clusterctl.owner";
inline constexpr const char* kReservedLabelPrefix = "clusterctl.";

struct PortMap {
    std::uint16_t host = 0;
    std::uint16_t container = 0;
    std::string proto = "tcp";  // "tcp" | "udp"
};

struct KeyValue {
    std::string key;
    std::string value;
};

struct ContainerSpec {
    std::string name;   // the instance's name, also the container's
    std::string owner;  // the user the instance belongs to
    std::string image;
    std::vector<GpuDevice> gpus;     // resolved on the node (UUIDs, render nodes)
    std::uint64_t cpus_milli = 0;    // 0 = no limit; 1500 = 1.5 CPUs
    std::uint64_t memory_bytes = 0;  // 0 = no limit
    std::uint64_t storage_bytes = 0; // 0 = no limit on the container's root
    std::vector<PortMap> ports;
    std::vector<KeyValue> env;
    std::vector<VolumeMount> volumes;
    std::vector<KeyValue> labels;    // the user's own, besides clusterctl's two
    std::vector<std::string> command;  // after the image; empty = the image's own
};

// Whether the node's runtime can hold a container's root to a size: podman only on
// overlay over xfs mounted with project quota, docker likewise (overlay2 on xfs
// with pquota) or on btrfs/zfs. The caller finds it out on the node; this file
// only refuses to pretend.
enum class StorageLimit { not_asked, enforced, not_enforced };

// Node side: "DRIVER BACKING_FS" (podman: its graph driver and GraphStatus's "Backing
// Filesystem"; docker: Driver and DriverStatus's). parse_storage_quota says whether a root
// size can be held there: overlay/overlay2 on xfs (podman and docker both need the xfs
// mounted with prjquota; a run without it fails with the runtime's own message), or
// docker's btrfs and zfs drivers. Anything unrecognised is "cannot", never "can".
std::vector<std::string> storage_probe_argv(RuntimeKind kind);
Result<bool> parse_storage_quota(RuntimeKind kind, std::string_view output);

struct RunCommand {
    std::vector<std::string> argv;
    // not_enforced: storage_bytes was asked but the node cannot hold it; the
    // caller must say so (the limit is reported, never silently dropped).
    StorageLimit storage = StorageLimit::not_asked;
};

// Refuses what the runtime would misread or a terminal/log would mangle: names
// outside the runtime's own [a-zA-Z0-9][a-zA-Z0-9_.-]*, NUL or newlines in
// labels, owner, image, paths; ':' or ',' in volume paths (the -v syntax splits
// on them); reserved label keys; port 0 or a protocol other than tcp/udp. Env
// values and the command may hold anything but NUL. The message names the value.
Result<void> validate_container_spec(const ContainerSpec& spec);

// `RUNTIME run -d --name N --label clusterctl.instance=N --label clusterctl.owner=O
// [--label K=V]… [--cpus C] [--memory B] [--storage-opt size=B] [-p H:C/P]… [-e K=V]…
// [-v S:D[:ro]]… [GPU args] -- IMAGE [CMD…]`. storage_quota: the node can enforce a
// root size (see StorageLimit); without it --storage-opt is left out and the
// result says not_enforced.
Result<RunCommand> run_argv(RuntimeKind kind, const ContainerSpec& spec, bool storage_quota);

// "1.5" from 1500, "0.001" from 1, "12" from 12000: exact, no floating point.
std::string cpus_decimal(std::uint64_t cpus_milli);

// The container's name must pass validate_container_spec's name rule.
Result<void> validate_container_name(const std::string& name);

std::vector<std::string> start_argv(RuntimeKind kind, const std::string& name);
// The runtime sends SIGTERM, waits `grace`, then SIGKILL.
std::vector<std::string> stop_argv(RuntimeKind kind, const std::string& name, std::chrono::seconds grace);
std::vector<std::string> restart_argv(RuntimeKind kind, const std::string& name, std::chrono::seconds grace);
// rm -f, killing at once (no stop timeout)
std::vector<std::string> remove_container_argv(RuntimeKind kind, const std::string& name);
// tail: the last N lines only; nullopt = all of them.
std::vector<std::string> logs_argv(RuntimeKind kind, const std::string& name, bool follow, std::optional<std::uint32_t> tail);
// tty: the caller's stdin is a terminal (-it); otherwise stdin is still passed (-i).
Result<std::vector<std::string>> exec_argv(RuntimeKind kind, const std::string& name, const std::vector<std::string>& command,
                                           bool tty);
// JSON array with one object (both runtimes): parse_container_inspect reads it.
std::vector<std::string> inspect_argv(RuntimeKind kind, const std::string& name);

struct ContainerState {
    std::string id;          // full hex id
    std::string status;      // "running", "exited", "created", "paused", …
    std::string started_at;  // as the runtime prints it (RFC 3339); "" if never started
    std::string ip_address;  // on its first network with one; "" if none (not running, host network)
};

// Bounded (kMaxInspectBytes) and type-checked; anything else is a remote error.
constexpr std::size_t kMaxInspectBytes = 4 * 1024 * 1024;
Result<ContainerState> parse_container_inspect(std::string_view output);

}  // namespace cc
