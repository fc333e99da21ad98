#include "ops/instance_node.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/shell_quote.hpp"
#include "ops/image_nodes.hpp"
#include "ops/image_push.hpp"
#include "ops/image_source.hpp"
#include "ops/port_map.hpp"
#include "registry/blob_cache.hpp"
#include "remote/command.hpp"
#include "remote/sections.hpp"
#include "ops/listening_ports.hpp"

namespace cc {

namespace {

constexpr std::string_view kImageMark = "--clusterctl-image--";
constexpr std::string_view kStorageMark = "--clusterctl-storage--";

// The part of `output` after the line `mark`, and the part before it.
std::optional<std::pair<std::string_view, std::string_view>> split_at_line(std::string_view output, std::string_view mark) {
    std::string needle = fmt::format("\n{}\n", mark);
    auto at = output.find(needle);
    if (at == std::string_view::npos) {
        if (output.starts_with(needle.substr(1))) return std::pair{std::string_view{}, output.substr(needle.size() - 1)};
        return std::nullopt;
    }
    return std::pair{output.substr(0, at + 1), output.substr(at + needle.size())};
}

std::string trim(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r')) text.remove_suffix(1);
    return std::string(text);
}

}  // namespace

std::vector<std::string> instance_container_ids_argv(RuntimeKind kind, const std::string& name) {
    return {runtime_name(kind), "ps", "-a", "-q", "--no-trunc", "--filter", fmt::format("label={}={}", kInstanceLabel, name)};
}

Result<RuntimeKind> NodeInstanceRun::kind() {
    auto runtime = runtime_of(node_);
    if (!runtime) return std::unexpected(runtime.error());
    return runtime->kind();
}

Result<Connection*> NodeInstanceRun::connection() {
    if (!connection_) {
        auto c = connect_pinned(ctx_, node_);
        if (!c) return fail(c.error().kind, fmt::format("{}: {}", node_.name, c.error().message));
        connection_ = std::move(*c);
    }
    return connection_.get();
}

Result<ExecResult> NodeInstanceRun::runtime_command(const std::vector<std::string>& argv, const char* what) {
    auto k = kind();
    if (!k) return std::unexpected(k.error());
    auto c = connection();
    if (!c) return std::unexpected(c.error());
    auto ran = run_bounded(**c, remote_command(argv, ctx_.settings.command_timeout), ctx_.settings.command_timeout);
    if (!ran) return fail(ran.error().kind, fmt::format("{}: {}", node_.name, ran.error().message));
    if (ran->exit_status != 0 || !ran->exit_signal.empty()) {
        auto why = runtime_failed(Runtime(*k), what, *ran);
        return fail(why.kind, fmt::format("{}: {}", node_.name, why.message));
    }
    return ran;
}

Result<void> NodeInstanceRun::sync_forwards(const std::string& name, const std::vector<ClaimedPort>& ports,
                                            bool had_forwards) {
    if (!had_forwards) return {};
    auto k = kind();
    if (!k) return std::unexpected(k.error());
    auto c = connection();
    if (!c) return std::unexpected(c.error());
    auto synced = sync_port_forwards(**c, *k, name, ports, ctx_.settings.command_timeout);
    if (!synced) return fail(synced.error().kind, fmt::format("{}: port maps of {}: {}", node_.name, name, synced.error().message));
    return {};
}

Result<NodeProbe> NodeInstanceRun::probe(const std::string& image, bool storage_asked) {
    auto k = kind();
    if (!k) return std::unexpected(k.error());
    auto c = connection();
    if (!c) return std::unexpected(c.error());
    std::string line = listening_ports_command() + fmt::format("; echo {}; ", kImageMark) +
                       shell_join({runtime_name(*k), "image", "inspect", "--format", "{{.Id}}", "--", image}) +
                       " >/dev/null 2>&1 && echo present || echo absent";
    if (storage_asked) line += fmt::format("; echo {}; ", kStorageMark) + shell_join(storage_probe_argv(*k));
    auto ran = run_bounded(**c, with_remote_deadline(line, ctx_.settings.command_timeout), ctx_.settings.command_timeout,
                           SectionLimits{kMaxProcNetBytes, 1});
    if (!ran) return fail(ran.error().kind, fmt::format("{}: {}", node_.name, ran.error().message));
    auto parts = split_at_line(ran->out, kImageMark);
    if (!parts) return fail(ErrorKind::remote, fmt::format("{}: the node's probe answer was cut short", node_.name));
    NodeProbe out;
    auto listening = parse_listening_ports(parts->first);
    if (!listening) return fail(listening.error().kind, fmt::format("{}: {}", node_.name, listening.error().message));
    out.listening = std::move(*listening);
    std::string_view rest = parts->second;
    std::string_view storage;
    if (storage_asked) {
        auto s = split_at_line(rest, kStorageMark);
        if (!s) return fail(ErrorKind::remote, fmt::format("{}: the node's storage probe did not answer", node_.name));
        rest = s->first;
        storage = s->second;
    }
    auto answer = trim(rest);
    if (answer != "present" && answer != "absent")
        return fail(ErrorKind::remote, fmt::format("{}: the node's image check gave no answer", node_.name));
    out.image_present = answer == "present";
    if (storage_asked) {
        auto quota = parse_storage_quota(*k, storage);
        // A runtime that cannot say is one that cannot enforce: the limit is reported as such.
        out.storage_quota = quota && *quota;
    }
    return out;
}

Result<std::vector<GpuDevice>> NodeInstanceRun::gpu_devices(const std::string& vendor, const std::vector<GpuView>& node_gpus,
                                                            const std::vector<std::string>& uuids) {
    std::vector<GpuDevice> out;
    if (uuids.empty()) return out;
    if (vendor != "amd") {
        for (const auto& uuid : uuids) out.push_back({GpuVendor::nvidia, uuid, "", ""});
        return out;
    }
    std::vector<std::string> bus_ids;
    for (const auto& uuid : uuids) {
        auto g = std::find_if(node_gpus.begin(), node_gpus.end(), [&](const auto& v) { return v.sample.uuid == uuid; });
        if (g == node_gpus.end()) return fail(ErrorKind::not_found, fmt::format("{}: no GPU {}", node_.name, uuid));
        auto address = sysfs_pci_address(g->sample.pci_bus_id);
        if (!address) return std::unexpected(address.error());
        bus_ids.push_back(*address);
    }
    auto argv = render_node_lookup_argv(bus_ids);
    if (!argv) return std::unexpected(argv.error());
    auto c = connection();
    if (!c) return std::unexpected(c.error());
    auto ran = run_bounded(**c, remote_command(*argv, ctx_.settings.command_timeout), ctx_.settings.command_timeout,
                           SectionLimits{kMaxRenderLookupBytes, 1});
    if (!ran) return fail(ran.error().kind, fmt::format("{}: {}", node_.name, ran.error().message));
    auto nodes = parse_render_nodes(bus_ids, ran->out);
    if (!nodes) return fail(nodes.error().kind, fmt::format("{}: {}", node_.name, nodes.error().message));
    for (std::size_t i = 0; i < uuids.size(); ++i) out.push_back({GpuVendor::amd, uuids[i], bus_ids[i], (*nodes)[i]});
    return out;
}

Result<StartedContainer> NodeInstanceRun::start(const ContainerSpec& spec, bool storage_quota) {
    auto k = kind();
    if (!k) return std::unexpected(k.error());
    auto run = run_argv(*k, spec, storage_quota);
    if (!run) return std::unexpected(run.error());
    auto c = connection();
    if (!c) return std::unexpected(c.error());
    // The id `run -d` prints, then the inspect JSON: one round trip.
    std::string line = shell_join(run->argv) + " && " + shell_join(inspect_argv(*k, spec.name));
    auto ran = run_bounded(**c, with_remote_deadline(line, ctx_.settings.command_timeout), ctx_.settings.command_timeout,
                           SectionLimits{kMaxInspectBytes, 1});
    if (!ran) return fail(ran.error().kind, fmt::format("{}: {}", node_.name, ran.error().message));
    if (ran->exit_status != 0 || !ran->exit_signal.empty()) {
        auto why = runtime_failed(Runtime(*k), "run", *ran);
        return fail(why.kind, fmt::format("{}: {}", node_.name, why.message));
    }
    auto newline = ran->out.find('\n');
    if (newline == std::string::npos) return fail(ErrorKind::remote, fmt::format("{}: run printed no id", node_.name));
    auto state = parse_container_inspect(std::string_view(ran->out).substr(newline + 1));
    if (!state) return fail(state.error().kind, fmt::format("{}: {}", node_.name, state.error().message));
    return StartedContainer{run->storage, *state};
}

Result<void> NodeInstanceRun::remove_leftover(const std::string& name) {
    auto k = kind();
    if (!k) return std::unexpected(k.error());
    auto c = connection();
    if (!c) return std::unexpected(c.error());
    // Only containers carrying our label for this instance: a stranger's container of the same name stays.
    std::vector<std::string> rm = {runtime_name(*k), "rm", "-f", "--"};
    std::string line = "set -- $(" + shell_join(instance_container_ids_argv(*k, name)) + ") && if [ $# -gt 0 ]; then " +
                       shell_join(rm) + " \"$@\" >/dev/null; fi";
    auto ran = run_bounded(**c, with_remote_deadline(line, ctx_.settings.command_timeout), ctx_.settings.command_timeout);
    if (!ran) return fail(ran.error().kind, fmt::format("{}: {}", node_.name, ran.error().message));
    if (ran->exit_status != 0 || !ran->exit_signal.empty()) {
        auto why = runtime_failed(Runtime(*k), "rm", *ran);
        return fail(why.kind, fmt::format("{}: {}", node_.name, why.message));
    }
    return {};
}

Result<void> push_image_to(OpsContext& ctx, const Node& node, const std::string& source, const std::string& image) {
    auto cache = BlobCache::open(default_blob_cache_dir());
    if (!cache) return std::unexpected(cache.error());
    auto opened = open_image_source(ctx, source, *cache, {});
    if (!opened)
        return fail(opened.error().kind, fmt::format("image {} is not on {} and cannot be pushed from {}: {}", image,
                                                     node.name, source, opened.error().message));
    ImagePushRequest request;
    request.nodeset = node.name;
    request.name = image;
    request.idle_timeout = std::max(ctx.settings.command_timeout, std::chrono::milliseconds(1000));
    auto outcomes = push_image(ctx, **opened, *cache, request);
    if (!outcomes) return std::unexpected(outcomes.error());
    for (const auto& o : *outcomes)
        if (o.status != NodeStatus::ok)
            return fail(o.error_kind.value_or(ErrorKind::remote),
                        fmt::format("image {} is not on {} and pushing it from {} failed (--push-from names another source): {}",
                                    image, node.name, source, o.error.empty() ? o.value.detail : o.error));
    return {};
}

}  // namespace cc
