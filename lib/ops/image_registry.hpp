// The use cases between this machine and registries, no node involved:
// `image fetch|upload|inspect|tags|cache` and `registry login|logout|ls`.
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/error.hpp"
#include "registry/archive.hpp"
#include "registry/blob_cache.hpp"
#include "registry/client.hpp"
#include "registry/credentials.hpp"

namespace cc {

// What every registry use case needs: settings, where blobs are kept, who we are.
struct RegistryContext {
    const Config& config;
    const BlobCache& cache;
    const CredentialStore& credentials;
    int parallel = 4;  // blobs moved at once
};

// "docker-archive" | "oci-archive" (the names podman and skopeo use).
Result<ArchiveFormat> parse_archive_format(const std::string& name);
// "linux/arm64", "linux/arm64/v8"; the empty string is this machine's platform.
Result<Platform> parse_platform(const std::string& text);

struct ImageFetchRequest {
    std::string ref;
    std::filesystem::path output;
    ArchiveFormat format = ArchiveFormat::docker;
    std::string platform;  // "" = this machine's
};

struct ImageSummary {
    std::string ref;       // as the user named it, canonical
    std::string digest;    // the platform's manifest digest
    std::string platform;  // "linux/amd64"
    std::size_t layers = 0;
    std::uint64_t size = 0;          // config + layers, as stored (compressed)
    std::uint64_t transferred = 0;   // blob bytes that crossed the network
    std::string file;                // the archive written or read
};

// Registry → cache → archive (written whole or not at all).
Result<ImageSummary> image_fetch(const RegistryContext& ctx, const ImageFetchRequest& request,
                                 const TransferProgress& progress);
// Archive → cache → registry under `ref`.
Result<ImageSummary> image_upload(const RegistryContext& ctx, const std::filesystem::path& file, const std::string& ref,
                                  const TransferProgress& progress);

struct InspectedLayer {
    std::string media_type;
    std::string digest;
    std::uint64_t size = 0;
};

struct PlatformEntry {
    std::string platform;
    std::string digest;
    std::uint64_t size = 0;  // of the manifest
};

struct ImageInspection {
    std::string ref;
    std::string digest;      // what the reference resolves to (an index's digest for a multi-platform image)
    std::string media_type;
    std::vector<PlatformEntry> platforms;  // empty for a single-platform image
    std::string platform;                  // the one whose layers are listed ("" when unknown)
    std::string manifest_digest;
    std::string config_digest;
    std::vector<InspectedLayer> layers;
    std::uint64_t size = 0;  // config + layers
};

// Manifests only (no layer is fetched); an index lists its platforms and the
// requested one (default: this machine's) is shown in detail.
Result<ImageInspection> image_inspect(const RegistryContext& ctx, const std::string& ref, const std::string& platform);

Result<std::vector<std::string>> image_tags(const RegistryContext& ctx, const std::string& repository);

Result<std::vector<CachedBlob>> image_cache_list(const RegistryContext& ctx);
Result<std::vector<CachedBlob>> image_cache_prune(const RegistryContext& ctx, std::chrono::seconds older_than);

// Pings the registry with the credentials and stores them only when it accepts them.
Result<void> registry_login(const RegistryContext& ctx, const std::string& registry, const Credentials& credentials);
Result<bool> registry_logout(const RegistryContext& ctx, const std::string& registry);
Result<std::vector<StoredLogin>> registry_list(const RegistryContext& ctx);

}  // namespace cc
