#include "views/image_view.hpp"

#include <ctime>

#include <fmt/format.h>

#include "core/units.hpp"

namespace cc {

namespace {

// UTC, to the second, as the inventory's timestamps are written.
std::string utc_text(std::chrono::system_clock::time_point t) {
    std::time_t secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm {};
    ::gmtime_r(&secs, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

std::string short_digest(const std::string& digest) {
    return digest.size() > 19 ? digest.substr(0, 19) : digest;  // "sha256:" + 12 hex
}

}  // namespace

const std::vector<Column<ImageSummary>>& image_summary_columns() {
    using S = ImageSummary;
    static const std::vector<Column<S>> columns = {
        {.header = "IMAGE", .json_key = "ref", .value = [](const S& s) { return s.ref; }},
        {.header = "PLATFORM", .json_key = "platform", .value = [](const S& s) { return or_null(s.platform); }},
        {.header = "DIGEST", .json_key = "digest", .value = [](const S& s) { return s.digest; }},
        {.header = "LAYERS", .json_key = "layers", .value = [](const S& s) { return s.layers; }},
        {.header = "SIZE", .json_key = "size", .value = [](const S& s) { return s.size; },
         .text = [](const S& s) { return format_bytes(s.size); }},
        {.header = "TRANSFERRED", .json_key = "transferred", .value = [](const S& s) { return s.transferred; },
         .text = [](const S& s) { return format_bytes(s.transferred); }},
        {.header = "FILE", .json_key = "file", .value = [](const S& s) { return s.file; }},
    };
    return columns;
}

const std::vector<Column<InspectedLayer>>& inspected_layer_columns() {
    using L = InspectedLayer;
    static const std::vector<Column<L>> columns = {
        {.header = "DIGEST", .json_key = "digest", .value = [](const L& l) { return l.digest; }},
        {.header = "SIZE", .json_key = "size", .value = [](const L& l) { return l.size; },
         .text = [](const L& l) { return format_bytes(l.size); }},
        {.header = "MEDIA TYPE", .json_key = "media_type", .value = [](const L& l) { return l.media_type; }},
    };
    return columns;
}

const std::vector<Column<PlatformEntry>>& platform_entry_columns() {
    using P = PlatformEntry;
    static const std::vector<Column<P>> columns = {
        {.header = "PLATFORM", .json_key = "platform", .value = [](const P& p) { return p.platform; }},
        {.header = "DIGEST", .json_key = "digest", .value = [](const P& p) { return p.digest; }},
        {.json_key = "size", .value = [](const P& p) { return p.size; }},
    };
    return columns;
}

const std::vector<Column<CachedBlob>>& cached_blob_columns() {
    using B = CachedBlob;
    static const std::vector<Column<B>> columns = {
        {.header = "DIGEST", .json_key = "digest", .value = [](const B& b) { return b.digest; },
         .text = [](const B& b) { return short_digest(b.digest); }},
        {.header = "SIZE", .json_key = "size", .value = [](const B& b) { return b.size; },
         .text = [](const B& b) { return format_bytes(b.size); }},
        {.header = "LAST USED", .json_key = "last_used", .value = [](const B& b) { return utc_text(b.last_used); }},
    };
    return columns;
}

const std::vector<Column<StoredLogin>>& stored_login_columns() {
    using S = StoredLogin;
    static const std::vector<Column<S>> columns = {
        {.header = "REGISTRY", .json_key = "registry", .value = [](const S& s) { return s.registry; }},
        {.header = "USERNAME", .json_key = "username", .value = [](const S& s) { return or_null(s.username); }},
        {.header = "SOURCE", .json_key = "source", .value = [](const S& s) { return s.source; }},
    };
    return columns;
}

nlohmann::json inspection_json(const ImageInspection& i) {
    return {{"ref", i.ref},
            {"digest", i.digest},
            {"media_type", i.media_type},
            {"platforms", json_array(i.platforms, platform_entry_columns())},
            {"platform", or_null(i.platform)},
            {"manifest_digest", i.manifest_digest},
            {"config_digest", i.config_digest},
            {"layers", json_array(i.layers, inspected_layer_columns())},
            {"size", i.size}};
}

}  // namespace cc
