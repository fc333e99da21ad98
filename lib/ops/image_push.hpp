// `image push SOURCE --to NODESET`: each node's runtime pulls the image from a
// read-only registry that clusterctl serves from its blob cache through an SSH
// remote port forward bound to the node's loopback. The runtime's own layer
// reuse means only the layers a node lacks cross the wire; no registry
// credentials reach a node; the temporary 127.0.0.1:PORT name is removed.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ops/context.hpp"
#include "ops/image_source.hpp"
#include "registry/blob_cache.hpp"
#include "registry/manifest.hpp"

namespace cc {

// Live totals for a progress line (read from another thread).
struct PushProgress {
    std::atomic<std::size_t> nodes_total{0};
    std::atomic<std::size_t> nodes_done{0};
    std::atomic<std::uint64_t> bytes_sent{0};  // blob bytes served to all nodes so far
};

struct ImagePushRequest {
    std::string nodeset;
    std::string name;                   // REPO:TAG on the nodes; "" = the source's own name
    std::optional<Platform> platform;   // every node gets this one; none = each node's own (facts)
    // No byte moved on a node's forward for this long while its runtime has a connection
    // open: the node fails. The pull itself may take as long as it keeps moving.
    std::chrono::milliseconds idle_timeout{60'000};
    std::chrono::milliseconds pull_timeout{std::chrono::hours(2)};
    PushProgress* progress = nullptr;
};

struct ImagePushOutput {
    std::string image;     // the name it has on the node
    std::string platform;  // "linux/amd64"
    std::string digest;    // the manifest's
    std::string runtime;   // "podman" / "docker"
    std::uint64_t bytes_sent = 0;   // all bytes the forward carried to the node (HTTP heads too)
    std::uint64_t blob_bytes = 0;   // blob bodies only
    std::size_t layers = 0;
    std::size_t layers_sent = 0;    // layers the runtime asked for
    std::size_t layers_reused = 0;  // layers it had already
    std::string detail;    // the runtime's message when it failed
};

// "linux/arm64" or "linux/arm64/v8" (--platform).
Result<Platform> parse_platform(std::string_view text);

// The tag ("1.0") and everything before it of a REPO:TAG name; "latest" when it has none.
std::pair<std::string, std::string> split_image_name(const std::string& name);

Result<std::vector<NodeResult<ImagePushOutput>>> push_image(OpsContext& ctx, ImageSource& source,
                                                            const BlobCache& cache, const ImagePushRequest& request,
                                                            const OnNodeDone<ImagePushOutput>& on_done = {});

}  // namespace cc
