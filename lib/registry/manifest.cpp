#include "registry/manifest.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/sha256.hpp"
#include "core/strings.hpp"
#include "registry/reference.hpp"

namespace cc {

namespace {

using nlohmann::json;

constexpr std::size_t kMaxManifestBytes = 4 << 20;
constexpr std::size_t kMaxIndexEntries = 1024;
constexpr std::size_t kMaxLayers = 1024;

bool is_known_type(std::string_view type) {
    return type == media::oci_manifest || type == media::oci_index || type == media::docker_manifest ||
           type == media::docker_list;
}

std::string string_field(const json& object, const char* key) {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<Descriptor> parse_descriptor(const json& node, std::string_view where) {
    if (!node.is_object()) return fail(ErrorKind::remote, fmt::format("manifest: {} is not an object", where));
    Descriptor descriptor;
    descriptor.media_type = string_field(node, "mediaType");
    descriptor.digest = string_field(node, "digest");
    if (!is_sha256_digest(descriptor.digest))
        return fail(ErrorKind::remote,
                    fmt::format("manifest: {} has digest \"{}\" (only sha256 is supported)", where,
                                descriptor.digest.substr(0, 80)));
    auto size = node.find("size");
    if (size == node.end() || !size->is_number_unsigned())
        return fail(ErrorKind::remote, fmt::format("manifest: {} has no size", where));
    descriptor.size = size->get<std::uint64_t>();
    if (auto platform = node.find("platform"); platform != node.end() && platform->is_object()) {
        Platform p;
        p.os = string_field(*platform, "os");
        p.architecture = string_field(*platform, "architecture");
        p.variant = string_field(*platform, "variant");
        descriptor.platform = p;
    }
    return descriptor;
}

}  // namespace

std::string Platform::to_string() const {
    std::string text = os + "/" + architecture;
    if (!variant.empty()) text += "/" + variant;
    return text;
}

Platform platform_from_machine(std::string_view machine) {
    Platform platform;
    if (machine == "x86_64" || machine == "amd64") {
        platform.architecture = "amd64";
    } else if (machine == "aarch64" || machine == "arm64" || machine == "armv8l") {
        platform.architecture = "arm64";
        platform.variant = "v8";
    } else if (machine.starts_with("armv7")) {
        platform.architecture = "arm";
        platform.variant = "v7";
    } else if (machine.starts_with("armv6")) {
        platform.architecture = "arm";
        platform.variant = "v6";
    } else if (machine == "i386" || machine == "i686") {
        platform.architecture = "386";
    } else {
        platform.architecture = std::string(machine);  // ppc64le, s390x, riscv64 are spelled alike
    }
    return platform;
}

Result<std::variant<ImageManifest, ImageIndex>> parse_manifest(const RawManifest& raw) {
    if (raw.bytes.size() > kMaxManifestBytes)
        return fail(ErrorKind::remote, fmt::format("manifest {} is larger than 4 MiB", raw.digest));
    json doc = json::parse(raw.bytes, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        return fail(ErrorKind::remote, fmt::format("manifest {} is not a JSON object", raw.digest));
    auto schema = doc.find("schemaVersion");
    if (schema != doc.end() && schema->is_number_integer() && schema->get<int>() == 1)
        return fail(ErrorKind::remote, "manifest is Docker schema 1, which is not supported (push it again with a current client)");

    // The Content-Type wins; registries that send a generic type are read by the document's own field.
    std::string type = is_known_type(raw.media_type) ? raw.media_type : string_field(doc, "mediaType");
    if (type.empty()) type = doc.contains("manifests") ? media::oci_index : media::oci_manifest;
    if (!is_known_type(type))
        return fail(ErrorKind::remote, fmt::format("manifest has unsupported media type \"{}\"", type.substr(0, 120)));

    if (type == media::oci_index || type == media::docker_list) {
        auto entries = doc.find("manifests");
        if (entries == doc.end() || !entries->is_array())
            return fail(ErrorKind::remote, "image index has no manifests array");
        if (entries->size() > kMaxIndexEntries) return fail(ErrorKind::remote, "image index has too many entries");
        ImageIndex index{type, {}};
        for (std::size_t i = 0; i < entries->size(); ++i) {
            auto entry = parse_descriptor((*entries)[i], fmt::format("index entry {}", i));
            if (!entry) return std::unexpected(entry.error());
            index.manifests.push_back(std::move(*entry));
        }
        return index;
    }
    ImageManifest manifest;
    manifest.media_type = type;
    auto config = doc.find("config");
    if (config == doc.end()) return fail(ErrorKind::remote, "image manifest has no config");
    auto parsed_config = parse_descriptor(*config, "config");
    if (!parsed_config) return std::unexpected(parsed_config.error());
    manifest.config = std::move(*parsed_config);
    auto layers = doc.find("layers");
    if (layers == doc.end() || !layers->is_array()) return fail(ErrorKind::remote, "image manifest has no layers array");
    if (layers->size() > kMaxLayers) return fail(ErrorKind::remote, "image manifest has too many layers");
    for (std::size_t i = 0; i < layers->size(); ++i) {
        auto layer = parse_descriptor((*layers)[i], fmt::format("layer {}", i));
        if (!layer) return std::unexpected(layer.error());
        manifest.layers.push_back(std::move(*layer));
    }
    return manifest;
}

Result<Descriptor> select_platform(const ImageIndex& index, const Platform& wanted) {
    const Descriptor* loose = nullptr;  // os and architecture match; one side names no variant
    for (const auto& entry : index.manifests) {
        if (!entry.platform) continue;
        const Platform& p = *entry.platform;
        if (p.os != wanted.os || p.architecture != wanted.architecture) continue;
        if (p.variant == wanted.variant) return entry;
        if ((p.variant.empty() || wanted.variant.empty()) && !loose) loose = &entry;
    }
    if (loose) return *loose;
    std::vector<std::string> offered;
    for (const auto& entry : index.manifests)
        // buildkit's attestation manifests are "unknown/unknown": not a platform anyone can run.
        if (entry.platform && entry.platform->os != "unknown") offered.push_back(entry.platform->to_string());
    return fail(ErrorKind::not_found, fmt::format("the image has no {} manifest (it has: {})", wanted.to_string(),
                                                  offered.empty() ? std::string("none") : join(offered, ", ")));
}

std::string manifest_digest(std::string_view bytes) { return "sha256:" + sha256_hex(bytes); }

}  // namespace cc
