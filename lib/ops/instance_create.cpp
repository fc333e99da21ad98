// `instance create`: place → probe the node (listening ports, image present) →
// claim GPUs and ports in the inventory → push the image if missing → run →
// mark created. After the claim every failure releases it and removes whatever
// container the runtime left (podman 4.3 leaves a "created" one behind a failed run).
#include <algorithm>
#include <charconv>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "core/quantity.hpp"
#include "core/shell_quote.hpp"
#include "core/strings.hpp"
#include "core/units.hpp"
#include "core/volume_spec.hpp"
#include "gpu/gpu_query.hpp"
#include "ops/gpu_status.hpp"
#include "ops/image_nodes.hpp"
#include "ops/image_push.hpp"
#include "ops/image_source.hpp"
#include "ops/instance.hpp"
#include "ops/instance_node.hpp"
#include "registry/blob_cache.hpp"
#include "remote/command.hpp"
#include "remote/sections.hpp"
#include "ops/listening_ports.hpp"

namespace cc {

namespace {

Result<int> parse_port_number(std::string_view what, std::string_view text) {
    int port = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || port < 1 || port > 65535)
        return fail(ErrorKind::invalid_input, fmt::format("{} \"{}\": not a port number (1-65535)", what, text));
    return port;
}

Result<KeyValue> parse_key_value(std::string_view what, std::string_view text) {
    auto eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0)
        return fail(ErrorKind::invalid_input, fmt::format("{} \"{}\": expected KEY=VALUE", what, text));
    return KeyValue{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

bool is_count(std::string_view text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

std::string expiry_after(std::chrono::milliseconds ttl) {
    auto at = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now() + ttl);
    return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", at);
}

// A creating row older than this was left by a clusterctl killed mid-create: its
// claim goes before new claims are counted. Far longer than any create's deadline.
constexpr std::chrono::minutes kStaleClaimAge{30};

}  // namespace

Result<PortAsk> parse_port_ask(std::string_view text) {
    PortAsk ask;
    std::string_view rest = text;
    if (auto slash = rest.find('/'); slash != std::string_view::npos) {
        ask.proto = std::string(rest.substr(slash + 1));
        if (ask.proto != "tcp" && ask.proto != "udp")
            return fail(ErrorKind::invalid_input, fmt::format("port \"{}\": the protocol must be tcp or udp", text));
        rest = rest.substr(0, slash);
    }
    if (auto colon = rest.find(':'); colon != std::string_view::npos) {
        auto host = parse_port_number("host port", rest.substr(0, colon));
        if (!host) return fail(ErrorKind::invalid_input, fmt::format("port \"{}\": {}", text, host.error().message));
        ask.host_port = *host;
        rest = rest.substr(colon + 1);
    }
    auto container = parse_port_number("container port", rest);
    if (!container) return fail(ErrorKind::invalid_input, fmt::format("port \"{}\": {}", text, container.error().message));
    ask.container_port = *container;
    return ask;
}

Result<ParsedCreate> parse_create_request(const InstanceCreateRequest& r) {
    ParsedCreate out;
    if (auto ok = validate_container_name(r.name); !ok) return std::unexpected(ok.error());
    if (r.image.empty()) return fail(ErrorKind::invalid_input, "--image is required");
    if (is_count(r.gpus)) {
        auto n = parse_count("gpus", r.gpus);
        if (!n) return std::unexpected(n.error());
        if (*n > 64) return fail(ErrorKind::invalid_input, fmt::format("--gpus {}: more GPUs than any node has", r.gpus));
        out.gpu_count = static_cast<int>(*n);
    } else if (!r.gpus.empty()) {
        for (auto uuid : split(r.gpus, ',')) out.gpu_uuids.emplace_back(uuid);
        for (const auto& uuid : out.gpu_uuids) {
            GpuDevice probe{GpuVendor::nvidia, uuid, "", ""};
            if (auto ok = gpu_device_args(RuntimeKind::podman, {probe}); !ok)
                return fail(ErrorKind::invalid_input, fmt::format("--gpus \"{}\": not a count or GPU UUIDs", r.gpus));
        }
    }
    if (!r.cpus.empty()) {
        auto c = parse_cpus(r.cpus);
        if (!c) return std::unexpected(c.error());
        out.cpus_milli = *c;
    }
    auto size = [](std::string_view what, const std::string& text, std::int64_t& into) -> Result<void> {
        if (text.empty()) return {};
        auto bytes = parse_size(text);
        if (!bytes) return fail(ErrorKind::invalid_input, fmt::format("{} {}", what, bytes.error().message));
        into = static_cast<std::int64_t>(*bytes);
        return {};
    };
    if (auto ok = size("--memory", r.memory, out.memory_bytes); !ok) return std::unexpected(ok.error());
    if (auto ok = size("--storage", r.storage, out.storage_bytes); !ok) return std::unexpected(ok.error());
    for (const auto& p : r.ports) {
        auto ask = parse_port_ask(p);
        if (!ask) return std::unexpected(ask.error());
        out.ports.push_back(*ask);
    }
    for (const auto& e : r.env) {
        auto kv = parse_key_value("--env", e);
        if (!kv) return std::unexpected(kv.error());
        out.env.push_back(*kv);
    }
    for (const auto& v : r.volumes) {
        auto mount = parse_volume(v);
        if (!mount) return std::unexpected(mount.error());
        out.volumes.push_back(*mount);
    }
    for (const auto& l : r.labels) {
        auto kv = parse_key_value("--label", l);
        if (!kv) return std::unexpected(kv.error());
        if (out.labels.contains(kv->key))
            return fail(ErrorKind::invalid_input, fmt::format("--label {}: given twice", kv->key));
        out.labels[kv->key] = kv->value;
    }
    if (!r.ttl.empty()) {
        auto d = parse_duration(r.ttl);
        if (!d) return fail(ErrorKind::invalid_input, fmt::format("--ttl {}", d.error().message));
        out.ttl = *d;
    }
    return out;
}

namespace {

struct Candidate {
    Node node;
    std::vector<GpuView> gpus;  // live, when GPUs were asked
    std::string vendor;
};

// The nodes that could take the instance, with their live GPUs when GPUs are asked.
Result<std::vector<Candidate>> gather_candidates(OpsContext& ctx, const InstanceCreateRequest& r, const ParsedCreate& p,
                                                 std::vector<std::string>& reasons) {
    auto nodes = r.node.empty() ? ctx.inventory.nodes().list() : resolve_nodes(ctx, r.node);
    if (!nodes) return std::unexpected(nodes.error());
    if (!r.node.empty() && nodes->size() != 1)
        return fail(ErrorKind::invalid_input, fmt::format("--node {}: name one node", r.node));
    if (nodes->empty()) return fail(ErrorKind::not_found, "no nodes in the inventory (clusterctl node add)");
    std::vector<Candidate> out;
    for (auto& n : *nodes) out.push_back({std::move(n), {}, ""});
    if (p.gpu_count == 0 && p.gpu_uuids.empty()) return out;

    std::string nodeset;
    for (const auto& c : out) nodeset += (nodeset.empty() ? "" : ",") + c.node.name;
    auto live = gpu_status(ctx, nodeset);
    if (!live) return std::unexpected(live.error());
    std::vector<Candidate> answered;
    for (auto& c : out) {
        auto it = std::find_if(live->begin(), live->end(), [&](const auto& n) { return n.node == c.node.name; });
        if (it == live->end() || it->value.state != NodeGpuState::ok) {
            std::string why = it == live->end()                             ? "not asked"
                              : it->value.state == NodeGpuState::no_driver ? "no GPU driver"
                              : it->value.state == NodeGpuState::no_gpu    ? "no GPUs"
                              : !it->error.empty()                         ? it->error
                                                                           : node_gpu_state_name(it->value.state);
            reasons.push_back(fmt::format("{}: {}", c.node.name, why));
            continue;
        }
        c.gpus = it->value.gpus;
        c.vendor = it->value.vendor;
        answered.push_back(std::move(c));
    }
    return answered;
}

NodeCapacity capacity_of(OpsContext& ctx, const Candidate& c, const std::vector<InstanceRecord>& instances) {
    NodeCapacity cap;
    cap.node = c.node.name;
    cap.cordoned = c.node.cordoned;
    cap.has_runtime = c.node.facts && !c.node.facts->runtime.empty();
    auto held = ctx.inventory.claims().held_gpus(c.node.name);
    for (const auto& g : c.gpus) {
        bool busy = !g.processes.empty();
        bool claimed = held && std::find(held->begin(), held->end(), g.sample.uuid) != held->end();
        cap.free_gpus += busy || claimed ? 0 : 1;
    }
    if (c.node.facts && c.node.facts->cpus > 0) {
        std::int64_t cpus = c.node.facts->cpus * 1000;
        std::int64_t memory = static_cast<std::int64_t>(c.node.facts->memory_bytes);
        for (const auto& i : instances)
            if (i.node == c.node.name) {
                cpus -= i.cpus_milli;
                memory -= i.memory_bytes;
            }
        cap.free_cpus_milli = cpus;
        if (c.node.facts->memory_bytes > 0) cap.free_memory_bytes = memory;
    }
    return cap;
}

}  // namespace

Result<InstanceView> instance_create(OpsContext& ctx, const InstanceCreateRequest& r) {
    auto parsed = parse_create_request(r);
    if (!parsed) return std::unexpected(parsed.error());
    const ParsedCreate& p = *parsed;
    if (auto exists = ctx.inventory.instances().find(r.name); !exists) return std::unexpected(exists.error());
    else if (*exists) return fail(ErrorKind::conflict, fmt::format("instance \"{}\" exists already", r.name));

    ContainerSpec spec;
    spec.name = r.name;
    spec.owner = r.owner;
    spec.image = r.image;
    spec.env = p.env;
    spec.volumes = p.volumes;
    spec.command = r.command;
    for (const auto& [k, v] : p.labels) spec.labels.push_back({k, v});
    if (!r.owner.empty()) {
        auto user = ctx.inventory.users().get(r.owner);
        if (!user) return std::unexpected(user.error());
        // The user's default volumes, unless this instance mounts something at the same place.
        for (const auto& v : user->volumes)
            if (std::none_of(spec.volumes.begin(), spec.volumes.end(), [&](const auto& m) { return m.dst == v.dst; }))
                spec.volumes.push_back(v);
    }
    spec.cpus_milli = static_cast<std::uint64_t>(p.cpus_milli);
    spec.memory_bytes = static_cast<std::uint64_t>(p.memory_bytes);
    spec.storage_bytes = static_cast<std::uint64_t>(p.storage_bytes);
    // Everything a node would refuse is refused here, before any claim (ports and GPUs come later).
    if (auto ok = validate_container_spec(spec); !ok) return std::unexpected(ok.error());

    if (auto stale = ctx.inventory.claims().release_stale(kStaleClaimAge); !stale) return std::unexpected(stale.error());

    std::vector<std::string> reasons;
    auto candidates = gather_candidates(ctx, r, p, reasons);
    if (!candidates) return std::unexpected(candidates.error());
    auto instances = ctx.inventory.instances().list();
    if (!instances) return std::unexpected(instances.error());
    std::vector<NodeCapacity> caps;
    for (const auto& c : *candidates) caps.push_back(capacity_of(ctx, c, *instances));
    PlacementAsk ask{p.gpu_uuids.empty() ? p.gpu_count : static_cast<int>(p.gpu_uuids.size()), p.cpus_milli,
                     p.memory_bytes};
    auto placed = place(caps, ask);
    reasons.insert(reasons.end(), placed.reasons.begin(), placed.reasons.end());
    if (!placed.node)
        return fail(ErrorKind::conflict, fmt::format("no node can take instance \"{}\": {}", r.name, join(reasons, "; ")));
    const Candidate& chosen =
        *std::find_if(candidates->begin(), candidates->end(), [&](const auto& c) { return c.node.name == *placed.node; });

    NodeInstanceRun run{ctx, chosen.node};
    auto probe = run.probe(r.image, p.storage_bytes > 0);
    if (!probe) return std::unexpected(probe.error());

    ClaimRequest claim_request;
    claim_request.instance = r.name;
    claim_request.owner = r.owner;
    claim_request.node = chosen.node.name;
    claim_request.image = r.image;
    claim_request.gpu_count = p.gpu_count;
    claim_request.gpu_uuids = p.gpu_uuids;
    for (const auto& g : chosen.gpus) {
        claim_request.node_gpus.push_back(g.sample.uuid);
        if (!g.processes.empty()) claim_request.busy_gpus.push_back(g.sample.uuid);
    }
    claim_request.cpus_milli = p.cpus_milli;
    claim_request.memory_bytes = p.memory_bytes;
    claim_request.storage_bytes = p.storage_bytes;
    claim_request.ports = p.ports;
    claim_request.listening = probe->listening;
    claim_request.port_range = ctx.settings.port_range;
    if (p.ttl) claim_request.expires_at = expiry_after(*p.ttl);
    claim_request.labels = p.labels;
    claim_request.levels = ctx.settings.levels;
    auto claim = ctx.inventory.claims().claim(claim_request);
    if (!claim) return std::unexpected(claim.error());

    // From here on the claim is ours to release on any failure.
    auto undo = [&](Error why) -> Result<InstanceView> {
        run.remove_leftover(r.name);
        if (auto released = ctx.inventory.claims().release(r.name); !released)
            why.message += fmt::format(" (and releasing its claim failed: {})", released.error().message);
        return std::unexpected(why);
    };
    InstanceView view;
    if (!probe->image_present) {
        auto pushed = push_image_to(ctx, chosen.node, r.push_from.empty() ? r.image : r.push_from, r.image);
        if (!pushed) return undo(pushed.error());
        view.image_pushed = true;
    }
    for (const auto& port : claim->ports)
        spec.ports.push_back({static_cast<std::uint16_t>(port.host_port), static_cast<std::uint16_t>(port.container_port),
                              port.proto});
    auto devices = run.gpu_devices(chosen.vendor, chosen.gpus, claim->gpus);
    if (!devices) return undo(devices.error());
    spec.gpus = *devices;
    auto started = run.start(spec, probe->storage_quota);
    if (!started) return undo(started.error());
    if (auto done = ctx.inventory.claims().mark_created(r.name, started->storage == StorageLimit::enforced); !done)
        return undo(done.error());

    auto record = ctx.inventory.instances().find(r.name);
    if (!record || !*record) return fail(ErrorKind::inventory, fmt::format("instance \"{}\" vanished after create", r.name));
    view.record = **record;
    view.gpus = claim->gpus;
    view.ports = claim->ports;
    view.labels = p.labels;
    view.status = started->state.status;
    view.started_at = started->state.started_at;
    return view;
}

}  // namespace cc
