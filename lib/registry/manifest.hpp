// OCI and Docker schema 2 manifests and image indexes (manifest lists), and
// choosing one platform's manifest from an index.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.hpp"

namespace cc {

namespace media {
inline constexpr std::string_view oci_manifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view oci_index = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view oci_config = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view oci_layer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view oci_layer_gzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view docker_manifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view docker_list = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view docker_config = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view docker_layer_gzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
}  // namespace media

struct Platform {
    std::string os = "linux";
    std::string architecture;  // "amd64", "arm64", …
    std::string variant;       // "v8", or ""
    std::string to_string() const;  // "linux/arm64/v8"
};

// `uname -m` as a node's facts report it → the OCI architecture (x86_64 → amd64, aarch64 → arm64).
Platform platform_from_machine(std::string_view machine);

struct Descriptor {
    std::string media_type;
    std::string digest;  // "sha256:<hex>"
    std::uint64_t size = 0;
    std::optional<Platform> platform;  // index entries only
};

struct ImageManifest {
    std::string media_type;
    Descriptor config;
    std::vector<Descriptor> layers;
};

struct ImageIndex {
    std::string media_type;
    std::vector<Descriptor> manifests;
};

// A manifest's bytes exactly as the registry sent them (the digest is of these bytes).
struct RawManifest {
    std::string media_type;
    std::string digest;
    std::string bytes;
};

// Parses by the media type (falling back to the document's own mediaType field);
// refuses schema 1, unknown types and digests that are not sha256.
Result<std::variant<ImageManifest, ImageIndex>> parse_manifest(const RawManifest& raw);

// The index entry for `wanted` (os and architecture must match; a variant when both name one),
// or not_found listing the platforms the index has.
Result<Descriptor> select_platform(const ImageIndex& index, const Platform& wanted);

// "sha256:<hex>" of a manifest's (or any blob's) bytes.
std::string manifest_digest(std::string_view bytes);

}  // namespace cc
