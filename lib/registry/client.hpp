// An OCI distribution API v2 client over libcurl: ping, manifests, blobs
// (HEAD before upload, upload sessions, cross-repository mount), tags.
// Auth: anonymous, basic, and the bearer-token flow WWW-Authenticate asks for.
// TLS is always verified (ca_file adds a private CA); plain HTTP only when the
// registry is marked insecure. Retries 429/5xx with backoff honouring Retry-After.
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "registry/blob_cache.hpp"
#include "registry/credentials.hpp"
#include "registry/manifest.hpp"

namespace cc {

struct RegistryOptions {
    std::string ca_file;    // extra CA bundle for a private CA ("" = system CAs)
    bool insecure = false;  // plain http:// (only for registries the config marks insecure)
    std::optional<Credentials> credentials;
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::seconds low_speed_time{30};  // abort a transfer slower than 1 KiB/s for this long
    int retries = 4;                          // attempts after the first, for 429/5xx and dropped connections
};

// Bytes moved so far for one blob (called from the transferring thread).
using TransferProgress = std::function<void(std::uint64_t bytes)>;

class RegistryClient {
public:
    // `registry` is an ImageRef's registry ("reg.lab:5000"). Safe to use from several
    // threads at once (parallel blob transfers): tokens are shared under a lock.
    static Result<std::unique_ptr<RegistryClient>> open(std::string registry, RegistryOptions options);
    virtual ~RegistryClient() = default;

    virtual Result<void> ping() = 0;  // GET /v2/ (and the login it asks for)
    // By tag or digest; the digest is checked when the reference is one.
    virtual Result<RawManifest> get_manifest(const std::string& repository, const std::string& reference) = 0;
    virtual Result<void> put_manifest(const std::string& repository, const std::string& reference,
                                      const RawManifest& manifest) = 0;
    virtual Result<bool> has_blob(const std::string& repository, const std::string& digest) = 0;
    // Streams into the cache, hashing as it goes; a mismatch leaves nothing behind.
    virtual Result<void> fetch_blob(const std::string& repository, const Descriptor& blob, const BlobCache& cache,
                                    const TransferProgress& progress) = 0;
    // HEAD first (nothing sent when present); then a mount from `mount_from` when given,
    // else an upload session (POST, then PUT, or PATCH chunks then PUT, following Location).
    // Returns the bytes actually sent.
    virtual Result<std::uint64_t> upload_blob(const std::string& repository, const Descriptor& blob,
                                              const std::filesystem::path& file, const TransferProgress& progress,
                                              const std::string& mount_from = {}) = 0;
    virtual Result<std::vector<std::string>> list_tags(const std::string& repository) = 0;
};

}  // namespace cc
