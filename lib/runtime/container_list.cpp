// Parsers of what a node's runtime says about containers: the listing and
// `container inspect`. Every field is type-checked and bounded; ids must be
// 64 hex digits; text is kept as bytes (the printer escapes it).
#include "runtime/container_list.hpp"

#include <fmt/format.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/strings.hpp"
#include "runtime/container.hpp"

namespace cc {

namespace {

using nlohmann::json;

Result<std::string> container_id(const json& value, std::string_view what) {
    if (value.is_string()) {
        const auto& id = value.get_ref<const std::string&>();
        if (id.size() == 64 && id.find_first_not_of("0123456789abcdef") == std::string::npos) return id;
    }
    return fail(ErrorKind::remote, fmt::format("{}: a container without a 64-digit hex id", what));
}

// A string field, "" when absent or null; anything else (or too long) is an error.
Result<std::string> text_field(const json& object, const char* key, std::string_view what) {
    auto found = object.find(key);
    if (found == object.end() || found->is_null()) return std::string();
    if (!found->is_string() || found->get_ref<const std::string&>().size() > kMaxContainerFieldBytes)
        return fail(ErrorKind::remote, fmt::format("{}: {} is not a string of at most {} bytes", what, key, kMaxContainerFieldBytes));
    return found->get<std::string>();
}

Result<std::string> state_word(const json& object, const char* key, std::string_view what) {
    auto state = text_field(object, key, what);
    if (!state) return state;
    bool word = !state->empty() && state->size() <= 32 &&
                std::all_of(state->begin(), state->end(), [](char c) { return c >= 'a' && c <= 'z'; });
    if (!word) return fail(ErrorKind::remote, fmt::format("{}: bad container state", what));
    return state;
}

// Go's zero time (0001-01-01) in Unix seconds: podman's "never".
constexpr std::int64_t kGoZeroTime = -62135596800;

Result<void> add(std::vector<ListedContainer>& out, ListedContainer row) {
    if (out.size() >= kMaxListedContainers)
        return fail(ErrorKind::remote, fmt::format("container listing: more than {} containers", kMaxListedContainers));
    out.push_back(std::move(row));
    return {};
}

Result<ListedContainer> podman_row(const json& entry) {
    constexpr std::string_view what = "container listing";
    if (!entry.is_object()) return fail(ErrorKind::remote, "container listing: an entry that is not an object");
    ListedContainer row;
    auto id = container_id(entry.contains("Id") ? entry["Id"] : json(), what);
    if (!id) return std::unexpected(id.error());
    row.id = *id;
    auto names = entry.find("Names");
    if (names == entry.end() || !names->is_array() || names->empty() || !(*names)[0].is_string())
        return fail(ErrorKind::remote, fmt::format("container listing: container {} has no name", row.id.substr(0, 12)));
    row.name = (*names)[0].get<std::string>();
    if (row.name.size() > kMaxContainerFieldBytes) return fail(ErrorKind::remote, "container listing: a name too long");
    auto labels = entry.find("Labels");
    if (labels == entry.end() || !labels->is_object())
        return fail(ErrorKind::remote, fmt::format("container listing: container {} has no labels", row.name.substr(0, 64)));
    auto instance = text_field(*labels, kInstanceLabel, what);
    auto owner = text_field(*labels, kOwnerLabel, what);
    auto state = state_word(entry, "State", what);
    if (!instance) return std::unexpected(instance.error());
    if (!owner) return std::unexpected(owner.error());
    if (!state) return std::unexpected(state.error());
    row.instance = std::move(*instance);
    row.owner = std::move(*owner);
    row.state = std::move(*state);
    if (auto started = entry.find("StartedAt"); started != entry.end() && !started->is_null()) {
        if (!started->is_number_integer()) return fail(ErrorKind::remote, "container listing: StartedAt is not Unix seconds");
        auto seconds = started->get<std::int64_t>();
        if (seconds > kGoZeroTime) row.started_at = seconds;
    }
    return row;
}

Result<std::vector<ListedContainer>> parse_podman(std::string_view output) {
    json doc = json::parse(output, nullptr, false);
    if (doc.is_discarded() || !doc.is_array()) return fail(ErrorKind::remote, "container listing: podman's answer is not a JSON array");
    std::vector<ListedContainer> out;
    for (const auto& entry : doc) {
        auto row = podman_row(entry);
        if (!row) return std::unexpected(row.error());
        if (auto added = add(out, std::move(*row)); !added) return std::unexpected(added.error());
    }
    return out;
}

Result<std::vector<ListedContainer>> parse_docker(std::string_view output) {
    constexpr std::string_view what = "container listing";
    std::vector<ListedContainer> out;
    for (std::string_view line : split(output, '\n')) {
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
        json entry = json::parse(line, nullptr, false);
        if (entry.is_discarded() || !entry.is_object())
            return fail(ErrorKind::remote, "container listing: a docker line that is not a JSON object");
        ListedContainer row;
        auto id = container_id(entry.contains("id") ? entry["id"] : json(), what);
        if (!id) return std::unexpected(id.error());
        row.id = *id;
        // docker joins a container's names with commas; the first is its own name.
        auto names = text_field(entry, "names", what);
        auto instance = text_field(entry, "instance", what);
        auto owner = text_field(entry, "owner", what);
        auto state = state_word(entry, "state", what);
        if (!names) return std::unexpected(names.error());
        if (!instance) return std::unexpected(instance.error());
        if (!owner) return std::unexpected(owner.error());
        if (!state) return std::unexpected(state.error());
        row.name = names->substr(0, names->find(','));
        if (row.name.empty()) return fail(ErrorKind::remote, fmt::format("container listing: container {} has no name", row.id.substr(0, 12)));
        row.instance = std::move(*instance);
        row.owner = std::move(*owner);
        row.state = std::move(*state);
        if (auto added = add(out, std::move(row)); !added) return std::unexpected(added.error());
    }
    return out;
}

}  // namespace

std::vector<std::string> container_list_argv(RuntimeKind kind) {
    const std::string filter = std::string("label=") + kInstanceLabel;
    if (kind == RuntimeKind::podman) return {"podman", "ps", "-a", "--filter", filter, "--format", "json"};
    return {"docker", "ps", "-a", "--no-trunc", "--filter", filter, "--format",
            R"({"id":{{json .ID}},"names":{{json .Names}},"state":{{json .State}},)"
            R"("instance":{{json (.Label "clusterctl.instance")}},"owner":{{json (.Label "clusterctl.owner")}}})"};
}

Result<std::vector<ListedContainer>> parse_container_list(RuntimeKind kind, std::string_view output) {
    if (output.size() > kMaxContainerListBytes)
        return fail(ErrorKind::remote, fmt::format("container listing: more than {} bytes", kMaxContainerListBytes));
    return kind == RuntimeKind::podman ? parse_podman(output) : parse_docker(output);
}

Result<ContainerState> parse_container_inspect(std::string_view output) {
    constexpr std::string_view what = "container inspect";
    if (output.size() > kMaxInspectBytes) return fail(ErrorKind::remote, fmt::format("container inspect: more than {} bytes", kMaxInspectBytes));
    json doc = json::parse(output, nullptr, false);
    if (doc.is_discarded() || !doc.is_array() || doc.size() != 1 || !doc[0].is_object())
        return fail(ErrorKind::remote, "container inspect: not a JSON array of one object");
    const json& entry = doc[0];
    ContainerState out;
    auto id = container_id(entry.contains("Id") ? entry["Id"] : json(), what);
    if (!id) return std::unexpected(id.error());
    out.id = *id;
    auto state = entry.find("State");
    if (state == entry.end() || !state->is_object()) return fail(ErrorKind::remote, "container inspect: no State object");
    auto status = state_word(*state, "Status", what);
    auto started = text_field(*state, "StartedAt", what);
    if (!status) return std::unexpected(status.error());
    if (!started) return std::unexpected(started.error());
    out.status = std::move(*status);
    // Go's zero time: never started.
    out.started_at = started->starts_with("0001-01-01") ? std::string() : std::move(*started);
    // The address on the first network that has one (both runtimes key NetworkSettings.Networks by network name).
    if (auto settings = entry.find("NetworkSettings"); settings != entry.end() && settings->is_object()) {
        if (auto networks = settings->find("Networks"); networks != settings->end() && networks->is_object()) {
            for (const auto& network : networks->items()) {
                if (!network.value().is_object()) return fail(ErrorKind::remote, "container inspect: a network that is not an object");
                auto address = text_field(network.value(), "IPAddress", what);
                if (!address) return std::unexpected(address.error());
                if (!address->empty()) {
                    out.ip_address = std::move(*address);
                    break;
                }
            }
        }
    }
    bool address_chars = std::all_of(out.ip_address.begin(), out.ip_address.end(), [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' || c == ':';
    });
    if (!address_chars || out.ip_address.size() > 45) return fail(ErrorKind::remote, "container inspect: bad IP address");
    return out;
}

}  // namespace cc
