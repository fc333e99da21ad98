// user add | ls | show | set | rm | usage, node cordon | uncordon: the inventory side.
#include "ops/user_admin.hpp"

#include <fmt/format.h>

#include "core/nodeset.hpp"
#include "inventory/users.hpp"

namespace cc {

namespace {

ResourceLimits level_limits(const OpsContext& ctx, const std::string& level) {
    auto it = ctx.settings.levels.find(level);
    return it != ctx.settings.levels.end() ? it->second : builtin_level(level);
}

UserDetails details(const OpsContext& ctx, UserRecord user, const ResourceUse& use) {
    ResourceLimits limits = effective_limits(level_limits(ctx, user.level), user.quota);
    return {std::move(user), limits, use};
}

Result<UserDetails> load(OpsContext& ctx, const std::string& name) {
    auto user = ctx.inventory.users().get(name);
    if (!user) return std::unexpected(user.error());
    auto use = ctx.inventory.users().usage(name);
    if (!use) return std::unexpected(use.error());
    return details(ctx, std::move(*user), *use);
}

Result<void> check_name(const std::string& name) {
    if (is_valid_node_name(name)) return {};
    return fail(ErrorKind::invalid_input,
                fmt::format("invalid user name \"{}\": use letters, digits, '.', '_' or '-', not starting with '-'", name));
}

Result<void> check_level(const std::string& level) {
    if (is_level_name(level)) return {};
    return fail(ErrorKind::invalid_input, fmt::format("level \"{}\": expected small, mid or big", level));
}

Result<std::vector<VolumeMount>> parse_volumes(const std::vector<std::string>& texts) {
    std::vector<VolumeMount> out;
    for (const auto& text : texts) {
        auto volume = parse_volume(text);
        if (!volume) return std::unexpected(volume.error());
        out.push_back(std::move(*volume));
    }
    return out;
}

}  // namespace

Result<UserDetails> user_add(OpsContext& ctx, const UserAddRequest& request) {
    if (auto r = check_name(request.name); !r) return std::unexpected(r.error());
    if (auto r = check_level(request.level); !r) return std::unexpected(r.error());
    UserRecord record{.name = request.name, .level = request.level};
    if (request.quota) {
        auto quota = parse_quota(*request.quota);
        if (!quota) return std::unexpected(quota.error());
        record.quota = *quota;
    }
    auto volumes = parse_volumes(request.volumes);
    if (!volumes) return std::unexpected(volumes.error());
    record.volumes = std::move(*volumes);
    if (auto r = ctx.inventory.users().add(record); !r) return std::unexpected(r.error());
    return load(ctx, request.name);
}

Result<UserDetails> user_set(OpsContext& ctx, const UserSetRequest& request) {
    if (request.level)
        if (auto r = check_level(*request.level); !r) return std::unexpected(r.error());
    if (request.no_volumes && !request.volumes.empty())
        return fail(ErrorKind::invalid_input, "--no-volumes and --volume together: give one");
    UserEdit edit{.name = request.name, .level = request.level, .quota = request.quota};
    if (request.quota)  // refused here, before the write lock, when it cannot parse at all
        if (auto quota = parse_quota(*request.quota); !quota) return std::unexpected(quota.error());
    if (request.no_volumes) edit.volumes = std::vector<VolumeMount>{};
    if (!request.volumes.empty()) {
        auto volumes = parse_volumes(request.volumes);
        if (!volumes) return std::unexpected(volumes.error());
        edit.volumes = std::move(*volumes);
    }
    if (auto r = ctx.inventory.users().update(edit); !r) return std::unexpected(r.error());
    return load(ctx, request.name);
}

Result<std::vector<UserDetails>> user_list(OpsContext& ctx) {
    auto users = ctx.inventory.users().list();
    if (!users) return std::unexpected(users.error());
    auto use = ctx.inventory.users().usage_by_owner();
    if (!use) return std::unexpected(use.error());
    std::vector<UserDetails> out;
    for (auto& user : *users) {
        auto it = use->find(user.name);
        ResourceUse held = it != use->end() ? it->second : ResourceUse{};
        out.push_back(details(ctx, std::move(user), held));
    }
    return out;
}

Result<UserDetails> user_show(OpsContext& ctx, const std::string& name) { return load(ctx, name); }

Result<void> user_remove(OpsContext& ctx, const std::string& name) { return ctx.inventory.users().remove(name); }

Result<std::vector<std::string>> node_cordon(OpsContext& ctx, std::string_view nodeset, bool cordoned) {
    auto nodes = resolve_nodes(ctx, nodeset);
    if (!nodes) return std::unexpected(nodes.error());
    std::vector<std::string> names;
    for (const auto& n : *nodes) names.push_back(n.name);
    if (auto r = ctx.inventory.nodes().set_cordoned(names, cordoned); !r) return std::unexpected(r.error());
    return names;
}

}  // namespace cc
