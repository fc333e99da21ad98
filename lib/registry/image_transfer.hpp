// Whole images between a registry and the blob cache: what `image fetch`,
// `image upload` and `image push` build on. Blobs move in parallel, each once.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "config/config.hpp"
#include "core/error.hpp"
#include "registry/blob_cache.hpp"
#include "registry/client.hpp"
#include "registry/image_bundle.hpp"
#include "registry/reference.hpp"

namespace cc {

// Manifest (through an index to `platform`'s entry), then config and layers into the cache,
// `parallel` at a time, skipping blobs already there. `progress` gets the bytes fetched so far
// across all blobs of this call. The bundle's name is "repository:tag" ("repository" when the
// reference has only a digest); its manifest is the platform's, also put in the cache.
Result<ImageBundle> fetch_image(RegistryClient& client, const ImageRef& ref, const Platform& platform,
                                const BlobCache& cache, const TransferProgress& progress, int parallel = 4);

// Config and layers from the cache to `target`'s repository (HEAD skips what is there), then the
// manifest under target's tag (or digest). Returns the blob bytes actually sent.
Result<std::uint64_t> upload_image(RegistryClient& client, const ImageRef& target, const ImageBundle& image,
                                   const BlobCache& cache, const TransferProgress& progress, int parallel = 4);

// A client for `registry` with its [registry."HOST"] settings (ca_file, insecure), the
// connect timeout from config, and credentials from `credentials` (nullopt: anonymous).
Result<std::unique_ptr<RegistryClient>> open_registry(const Config& config, const std::string& registry,
                                                      const CredentialStore& credentials);
// The same with CredentialStore::open_default().
Result<std::unique_ptr<RegistryClient>> open_registry(const Config& config, const std::string& registry);

}  // namespace cc
