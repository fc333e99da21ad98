// Parsers of a node's image listing (Runtime::list_argv). The node's output is
// hostile: it is bounded, every field is type-checked, ids must be sha256, and
// names are kept as bytes (the printer escapes them).
#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <set>

#include <nlohmann/json.hpp>

#include "runtime/runtime.hpp"

namespace cc {

namespace {

using nlohmann::json;

// "sha256:<64 hex>" from podman's bare hex id or docker's prefixed one.
Result<std::string> image_id(const json& value) {
    if (!value.is_string()) return fail(ErrorKind::remote, "image listing: an image without a string id");
    std::string_view id = value.get_ref<const std::string&>();
    if (id.starts_with("sha256:")) id.remove_prefix(7);
    bool hex = id.size() == 64 && id.find_first_not_of("0123456789abcdef") == std::string_view::npos;
    if (!hex) return fail(ErrorKind::remote, fmt::format("image listing: bad image id \"{}\"", id.substr(0, 80)));
    return "sha256:" + std::string(id);
}

Result<std::string> bounded_name(const json& value) {
    if (!value.is_string()) return fail(ErrorKind::remote, "image listing: an image name that is not a string");
    const auto& name = value.get_ref<const std::string&>();
    if (name.size() > kMaxImageNameBytes)
        return fail(ErrorKind::remote, fmt::format("image listing: an image name over {} bytes", kMaxImageNameBytes));
    return name;
}

Result<void> add_row(std::vector<NodeImage>& out, NodeImage image) {
    if (out.size() >= kMaxNodeImages)
        return fail(ErrorKind::remote, fmt::format("image listing: more than {} images", kMaxNodeImages));
    out.push_back(std::move(image));
    return {};
}

Result<std::vector<NodeImage>> parse_podman(std::string_view output) {
    json doc = json::parse(output, nullptr, false);
    if (doc.is_discarded() || !doc.is_array()) return fail(ErrorKind::remote, "image listing: podman's answer is not a JSON array");
    std::vector<NodeImage> out;
    // podman 4.3 repeats a whole entry (all its Names) once per name it has.
    std::set<std::string> seen;
    for (const auto& entry : doc) {
        if (!entry.is_object()) return fail(ErrorKind::remote, "image listing: an entry that is not an object");
        NodeImage image;
        auto id = image_id(entry.contains("Id") ? entry["Id"] : json());
        if (!id) return std::unexpected(id.error());
        if (!seen.insert(*id).second) continue;
        image.id = *id;
        if (auto size = entry.find("Size"); size != entry.end()) {
            if (!size->is_number_unsigned()) return fail(ErrorKind::remote, "image listing: a size that is not a byte count");
            image.size = size->get<std::uint64_t>();
        }
        auto names = entry.find("Names");
        if (names == entry.end() || names->is_null() || names->empty()) {
            if (auto added = add_row(out, image); !added) return std::unexpected(added.error());
            continue;
        }
        if (!names->is_array()) return fail(ErrorKind::remote, "image listing: Names is not a list");
        for (const auto& value : *names) {
            auto name = bounded_name(value);
            if (!name) return std::unexpected(name.error());
            auto [repository, tag] = split_image_name(*name);
            image.repository = std::move(repository);
            image.tag = std::move(tag);
            if (auto added = add_row(out, image); !added) return std::unexpected(added.error());
        }
    }
    return out;
}

// docker prints sizes for people: "63.1MB" (decimal units, 3 significant digits).
Result<std::uint64_t> docker_size(const json& value) {
    if (!value.is_string()) return fail(ErrorKind::remote, "image listing: a size that is not text");
    std::string_view text = value.get_ref<const std::string&>();
    double number = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    static constexpr std::array<std::string_view, 7> units{"B", "kB", "MB", "GB", "TB", "PB", "EB"};
    std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
    if (ec == std::errc() && std::isfinite(number) && number >= 0)
        for (std::size_t i = 0; i < units.size(); ++i)
            if (unit == units[i]) return static_cast<std::uint64_t>(std::llround(number * std::pow(1000.0, double(i))));
    return fail(ErrorKind::remote, fmt::format("image listing: bad size \"{}\"", text.substr(0, 40)));
}

std::string none_as_empty(std::string text) { return text == "<none>" ? std::string() : text; }

Result<std::vector<NodeImage>> parse_docker(std::string_view output) {
    std::vector<NodeImage> out;
    while (!output.empty()) {
        auto newline = output.find('\n');
        std::string_view line = output.substr(0, newline);
        output = newline == std::string_view::npos ? std::string_view() : output.substr(newline + 1);
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
        json entry = json::parse(line, nullptr, false);
        if (entry.is_discarded() || !entry.is_object())
            return fail(ErrorKind::remote, "image listing: a docker line that is not a JSON object");
        NodeImage image;
        auto id = image_id(entry.contains("ID") ? entry["ID"] : json());
        if (!id) return std::unexpected(id.error());
        image.id = *id;
        auto repository = bounded_name(entry.contains("Repository") ? entry["Repository"] : json());
        auto tag = bounded_name(entry.contains("Tag") ? entry["Tag"] : json());
        if (!repository) return std::unexpected(repository.error());
        if (!tag) return std::unexpected(tag.error());
        image.repository = none_as_empty(*repository);
        image.tag = none_as_empty(*tag);
        auto size = docker_size(entry.contains("Size") ? entry["Size"] : json());
        if (!size) return std::unexpected(size.error());
        image.size = *size;
        if (auto added = add_row(out, image); !added) return std::unexpected(added.error());
    }
    return out;
}

}  // namespace

ImageName split_image_name(std::string_view name) {
    std::string_view base = name.substr(0, name.find('@'));
    auto colon = base.rfind(':');
    auto slash = base.rfind('/');
    if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash))
        return {std::string(base.substr(0, colon)), std::string(base.substr(colon + 1))};
    return {std::string(base), ""};
}

std::string image_name(const NodeImage& image) {
    // A name pinned by digest has no tag to say: the id names the image exactly.
    if (image.repository.empty() || image.tag.empty()) return image.id;
    return image.repository + ":" + image.tag;
}

Result<std::vector<NodeImage>> Runtime::parse_list(std::string_view output) const {
    return kind_ == RuntimeKind::podman ? parse_podman(output) : parse_docker(output);
}

}  // namespace cc
