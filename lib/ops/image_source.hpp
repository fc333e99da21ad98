// SOURCE of `image push`: a registry reference, an archive file, or an image in the
// local podman/docker store, resolved into ImageBundles whose blobs are all in the
// local cache, each source blob read or fetched once whatever the number of nodes.
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "ops/context.hpp"
#include "registry/blob_cache.hpp"
#include "registry/client.hpp"
#include "registry/image_bundle.hpp"
#include "registry/manifest.hpp"

namespace cc {

class ImageSource {
public:
    virtual ~ImageSource() = default;
    // The image for one platform (a registry index is resolved per platform; an archive
    // or local image has one and refuses another). Cached: a second call is free.
    virtual Result<ImageBundle> for_platform(const Platform& platform) = 0;
    // The repository:tag nodes get unless the user names another.
    virtual std::string default_name() const = 0;
    virtual std::string describe() const = 0;  // for messages: "archive ./cuda.tar", "reg:5000/x:1"
};

// Tells the kinds apart: "docker-archive:P" / "oci-archive:P" / an existing file path → archive;
// "podman:NAME" / "docker-daemon:NAME" → local store (saved once to the cache);
// otherwise a registry reference.
Result<std::unique_ptr<ImageSource>> open_image_source(const OpsContext& ctx, std::string_view source,
                                                       const BlobCache& cache, const TransferProgress& progress);

}  // namespace cc
