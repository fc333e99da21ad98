#include "ops/image_nodes.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

#include "remote/command.hpp"
#include "remote/sections.hpp"

namespace cc {

namespace {

// podman writes ~700 bytes of JSON per image: room for kMaxNodeImages of them.
const SectionLimits kListingLimits{16 * 1024 * 1024, 256};

Result<std::vector<NodeImage>> list_images(OpsContext& ctx, Connection& connection, const Runtime& runtime) {
    auto ran = run_bounded(connection, remote_command(runtime.list_argv(), ctx.settings.command_timeout),
                           ctx.settings.command_timeout, kListingLimits);
    if (!ran) return std::unexpected(ran.error());
    if (ran->exit_status != 0 || !ran->exit_signal.empty())
        return std::unexpected(runtime_failed(runtime, "images", *ran));
    return runtime.parse_list(ran->out);
}

bool is_hex(std::string_view text) { return text.find_first_not_of("0123456789abcdef") == std::string_view::npos; }

// A first path component that is a registry host, as docker and podman tell one.
bool is_registry_host(std::string_view component) {
    return component == "localhost" || component.find_first_of(".:") != std::string_view::npos;
}

struct RepoParts {
    std::string host;  // "" when the name has none (a short name)
    std::string path;
};

RepoParts repo_parts(std::string_view repository) {
    auto slash = repository.find('/');
    if (slash != std::string_view::npos && is_registry_host(repository.substr(0, slash)))
        return {std::string(repository.substr(0, slash)), std::string(repository.substr(slash + 1))};
    return {"", std::string(repository)};
}

// Docker Hub's official images live under library/: "busybox" is "docker.io/library/busybox".
std::string hub_path(const std::string& host, const std::string& path) {
    bool hub = host.empty() || host == "docker.io";
    return hub && path.find('/') == std::string::npos ? "library/" + path : path;
}

bool names_repository(const RepoParts& wanted, const RepoParts& listed) {
    if (wanted.host.empty()) {
        // A short name is resolved by the runtime against any registry it has the image from.
        return listed.path == wanted.path || hub_path(listed.host, listed.path) == hub_path("", wanted.path);
    }
    auto host = [](const std::string& h) { return h.empty() ? std::string("docker.io") : h; };
    return host(wanted.host) == host(listed.host) && hub_path(wanted.host, wanted.path) == hub_path(listed.host, listed.path);
}

}  // namespace

Error runtime_failed(const Runtime& runtime, const char* what, const ExecResult& ran) {
    // The runtime's own words for why: its last non-empty stderr line.
    std::string_view text = ran.err;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
    auto newline = text.rfind('\n');
    std::string why(newline == std::string_view::npos ? text : text.substr(newline + 1));
    if (why.empty())
        why = ran.exit_signal.empty() ? fmt::format("exit status {}", ran.exit_status) : "killed by " + ran.exit_signal;
    return {ErrorKind::remote, fmt::format("{} {}: {}", runtime_name(runtime.kind()), what, why)};
}

Result<Runtime> runtime_of(const Node& node) {
    if (!node.facts)
        return fail(ErrorKind::not_found,
                    fmt::format("node \"{}\" has no facts recorded (run `clusterctl node facts {}`)", node.name, node.name));
    auto kind = runtime_kind(node.facts->runtime);
    if (!kind) return fail(kind.error().kind, fmt::format("node \"{}\": {}", node.name, kind.error().message));
    return Runtime(*kind);
}

Result<std::vector<NodeResult<NodeImages>>> list_node_images(OpsContext& ctx, std::string_view nodeset,
                                                             const OnNodeDone<NodeImages>& on_done) {
    auto nodes = resolve_nodes(ctx, nodeset);
    if (!nodes) return std::unexpected(nodes.error());
    NodeWork<NodeImages> work = [&](Connection& connection, const Node& node, NodeImages& out) -> Result<NodeStatus> {
        auto runtime = runtime_of(node);
        if (!runtime) return std::unexpected(runtime.error());
        out.runtime = runtime_name(runtime->kind());
        auto images = list_images(ctx, connection, *runtime);
        if (!images) return std::unexpected(images.error());
        out.images = std::move(*images);
        return NodeStatus::ok;
    };
    return run_on_nodes(ctx, *nodes, work, on_done);
}

std::vector<NodeImage> images_matching(const std::vector<NodeImage>& images, std::string_view ref) {
    std::vector<NodeImage> out;
    std::string_view id = ref.starts_with("sha256:") ? ref.substr(7) : ref;
    if (id.size() >= 12 && id.size() <= 64 && is_hex(id)) {
        for (const auto& image : images)
            if (std::string_view(image.id).substr(7).starts_with(id)) out.push_back(image);
        return out;
    }
    if (ref.find('@') != std::string_view::npos) return out;  // digests are not in the listing
    auto [repository, tag] = split_image_name(ref);
    if (tag.empty()) tag = "latest";
    const RepoParts wanted = repo_parts(repository);
    for (const auto& image : images)
        if (!image.repository.empty() && image.tag == tag && names_repository(wanted, repo_parts(image.repository)))
            out.push_back(image);
    return out;
}

Result<std::vector<NodeResult<ImageRemoval>>> plan_image_removal(OpsContext& ctx, std::string_view ref,
                                                                 std::string_view nodeset) {
    if (ref.empty()) return fail(ErrorKind::invalid_input, "image rm needs an image reference or id");
    auto nodes = resolve_nodes(ctx, nodeset);
    if (!nodes) return std::unexpected(nodes.error());
    NodeWork<ImageRemoval> work = [&](Connection& connection, const Node& node, ImageRemoval& out) -> Result<NodeStatus> {
        auto runtime = runtime_of(node);
        if (!runtime) return std::unexpected(runtime.error());
        out.runtime = runtime_name(runtime->kind());
        auto images = list_images(ctx, connection, *runtime);
        if (!images) return std::unexpected(images.error());
        out.images = images_matching(*images, ref);
        return NodeStatus::ok;
    };
    return run_on_nodes(ctx, *nodes, work);
}

std::vector<NodeResult<ImageRemoval>> remove_planned_images(OpsContext& ctx, std::vector<NodeResult<ImageRemoval>> plan,
                                                            const OnNodeDone<ImageRemoval>& on_done) {
    std::vector<Node> nodes;
    std::map<std::string, const NodeResult<ImageRemoval>*> planned;
    for (const auto& result : plan) {
        if (result.status != NodeStatus::ok || result.value.images.empty()) continue;
        auto node = ctx.inventory.nodes().get(result.node);
        if (!node) continue;  // removed from the inventory meanwhile: keep the plan's result
        nodes.push_back(std::move(*node));
        planned.emplace(result.node, &result);
    }
    NodeWork<ImageRemoval> work = [&](Connection& connection, const Node& node, ImageRemoval& out) -> Result<NodeStatus> {
        out = planned.at(node.name)->value;
        auto runtime = runtime_of(node);
        if (!runtime) return std::unexpected(runtime.error());
        // One rmi for every planned name: each name goes, and an image goes with its last name.
        std::set<std::string> unique;
        for (const auto& image : out.images) unique.insert(image_name(image));
        const auto argv = runtime->remove_argv(std::vector<std::string>(unique.begin(), unique.end()), false);
        auto ran = run_bounded(connection, remote_command(argv, ctx.settings.command_timeout), ctx.settings.command_timeout);
        if (!ran) return std::unexpected(ran.error());
        if (ran->exit_status != 0 || !ran->exit_signal.empty())
            return std::unexpected(runtime_failed(*runtime, "rmi", *ran));
        out.removed = true;
        return NodeStatus::ok;
    };
    auto done = run_on_nodes(ctx, nodes, work, on_done);
    std::map<std::string, NodeResult<ImageRemoval>> by_node;
    for (auto& result : done) by_node.emplace(result.node, std::move(result));
    for (auto& result : plan)
        if (auto it = by_node.find(result.node); it != by_node.end()) result = std::move(it->second);
    return plan;
}

}  // namespace cc
