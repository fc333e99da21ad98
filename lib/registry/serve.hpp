// The GET/HEAD side of the distribution API, read-only, from the blob cache:
// what a node's runtime pulls from during `image push` (through an SSH remote
// port forward bound to the node's loopback). Serves only the images added.
#pragma once
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "core/stream_handler.hpp"
#include "registry/blob_cache.hpp"
#include "registry/image_bundle.hpp"

namespace cc {

struct ServeCounters {
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> blob_bytes{0};  // blob body bytes sent
    std::atomic<std::uint64_t> layer_gets{0};  // GETs of layers (not configs): what a runtime lacked
};

class ServedImages {
public:
    // Serves the image's manifest under its repository, by tag and by digest, and its blobs.
    void add(const std::string& repository, const std::string& tag, const ImageBundle& image);
    const RawManifest* manifest(const std::string& repository, const std::string& reference) const;
    bool has_blob(const std::string& repository, const std::string& digest) const;
    // The config blob's bytes (ImageBundle::config) when the image came with them, else null:
    // served from memory, so the responder does not depend on the cache holding it.
    const std::string* small_blob(const std::string& digest) const;
    bool is_layer(const std::string& digest) const { return layers_.contains(digest); }

private:
    std::map<std::string, RawManifest> manifests_;  // "repo\nreference"
    std::map<std::string, bool> blobs_;             // "repo\ndigest"
    std::map<std::string, std::string> small_blobs_;  // digest → bytes
    std::set<std::string> layers_;                    // digests
};

// One HTTP/1.1 connection (keep-alive, several requests) answered from `images` and `cache`.
std::unique_ptr<StreamHandler> make_registry_responder(const ServedImages& images, const BlobCache& cache,
                                                       ServeCounters& counters);

}  // namespace cc
