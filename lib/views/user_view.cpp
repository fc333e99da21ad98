#include "views/user_view.hpp"

#include <fmt/format.h>

#include "core/strings.hpp"

namespace cc {

namespace {

using json = nlohmann::json;
using U = UserDetails;

// Limits and use in one JSON shape: counts, "cpus" as a decimal number, sizes in bytes.
json amounts_json(const ResourceLimits& r) {
    return {{"gpus", r.gpus},
            {"cpus", static_cast<double>(r.cpus_milli) / 1000.0},
            {"memory_bytes", r.memory_bytes},
            {"storage_bytes", r.storage_bytes},
            {"instances", r.instances}};
}

json quota_json(const QuotaOverrides& q) {
    auto cpus = q.cpus_milli ? json(static_cast<double>(*q.cpus_milli) / 1000.0) : json(nullptr);
    return {{"gpus", or_null(q.gpus)},
            {"cpus", cpus},
            {"memory_bytes", or_null(q.memory_bytes)},
            {"storage_bytes", or_null(q.storage_bytes)},
            {"instances", or_null(q.instances)}};
}

json volumes_json(const std::vector<VolumeMount>& volumes) {
    json out = json::array();
    for (const auto& v : volumes) out.push_back({{"src", v.src}, {"dst", v.dst}, {"read_only", v.read_only}});
    return out;
}

std::string volumes_text(const U& u) {
    std::vector<std::string> items;
    for (const auto& v : u.user.volumes) items.push_back(format_volume(v));
    return items.empty() ? std::string("-") : join(items, ",");
}

// The limit, marked "*" when it is the user's own rather than the level's.
std::function<std::string(const U&)> limit_cell(std::string key) {
    return [key](const U& u) {
        return format_limit(key, limit_of(u.limits, key)) + (own_limit(u.user.quota, key) ? "*" : "");
    };
}

json usage_json(const U& u) {
    json use = amounts_json(u.use);
    use["storage_not_enforced"] = u.use.storage_not_enforced;
    return use;
}

std::function<std::string(const U&)> use_cell(std::string key) {
    return [key](const U& u) { return use_text(u, key); };
}

Style use_style(const U& u) {
    for (const auto& key : quota_keys())
        if (limit_of(u.use, key) > limit_of(u.limits, key)) return Style::bad;  // lowered below what is held
    return Style::none;
}

}  // namespace

std::string use_text(const UserDetails& u, std::string_view key) {
    std::string text = fmt::format("{}/{}", format_limit(key, limit_of(u.use, key)), format_limit(key, limit_of(u.limits, key)));
    if (key == "storage" && u.use.storage_not_enforced > 0) text += " (not enforced)";
    return text;
}

const std::vector<Column<UserDetails>>& user_columns() {
    static const std::vector<Column<U>> columns = {
        {.header = "NAME", .json_key = "name", .value = [](const U& u) { return u.user.name; }},
        {.header = "LEVEL", .json_key = "level", .value = [](const U& u) { return u.user.level; }},
        {.header = "GPUS", .text = limit_cell("gpus")},
        {.header = "CPUS", .text = limit_cell("cpus")},
        {.header = "MEMORY", .text = limit_cell("memory")},
        {.header = "STORAGE", .text = limit_cell("storage")},
        {.header = "INSTANCES", .text = limit_cell("instances")},
        {.json_key = "quota", .value = [](const U& u) { return quota_json(u.user.quota); }},
        {.json_key = "limits", .value = [](const U& u) { return amounts_json(u.limits); }},
        {.json_key = "usage", .value = usage_json},
        {.header = "VOLUMES", .json_key = "volumes",
         .value = [](const U& u) { return volumes_json(u.user.volumes); },
         .text = volumes_text},
        {.header = "ADDED", .json_key = "created_at", .value = [](const U& u) { return u.user.created_at; },
         .wide_only = true},
    };
    return columns;
}

const std::vector<Column<UserDetails>>& usage_columns() {
    static const std::vector<Column<U>> columns = {
        {.header = "NAME", .json_key = "name", .value = [](const U& u) { return u.user.name; }},
        {.header = "LEVEL", .json_key = "level", .value = [](const U& u) { return u.user.level; }},
        {.header = "GPUS", .text = use_cell("gpus"), .style = use_style},
        {.header = "CPUS", .text = use_cell("cpus"), .style = use_style},
        {.header = "MEMORY", .text = use_cell("memory"), .style = use_style},
        {.header = "STORAGE", .text = use_cell("storage"), .style = use_style},
        {.header = "INSTANCES", .text = use_cell("instances"), .style = use_style},
        {.json_key = "limits", .value = [](const U& u) { return amounts_json(u.limits); }},
        {.json_key = "usage", .value = usage_json},
    };
    return columns;
}

}  // namespace cc
