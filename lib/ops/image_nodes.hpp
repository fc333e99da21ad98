// Images in the nodes' own runtimes: `image ls`, `image pull` (each node pulls
// from the registry itself), `image rm` (planned per node, then removed).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ops/context.hpp"
#include "registry/credentials.hpp"
#include "runtime/runtime.hpp"

namespace cc {

// The node's runtime from its recorded facts; an error naming the node when it has none.
Result<Runtime> runtime_of(const Node& node);
// A runtime command that exited non-zero, as an error: "podman pull: <its last stderr line>".
Error runtime_failed(const Runtime& runtime, const char* what, const ExecResult& ran);

struct NodeImages {
    std::string runtime;  // "podman" / "docker"
    std::vector<NodeImage> images;
};

Result<std::vector<NodeResult<NodeImages>>> list_node_images(OpsContext& ctx, std::string_view nodeset,
                                                             const OnNodeDone<NodeImages>& on_done = {});

struct PulledImage {
    std::string runtime;
    std::string ref;  // what the node pulled: the reference in full ("docker.io/library/busybox:latest")
};

struct ImagePullRequest {
    std::string ref;
    std::string nodeset;
    // Where the registry's login is looked up (none found: anonymous); it is handed
    // to each node on stdin, never in argv. nullptr: anonymous.
    const CredentialStore* credentials = nullptr;
    OnNodeDone<PulledImage> on_done;
};

Result<std::vector<NodeResult<PulledImage>>> pull_on_nodes(OpsContext& ctx, const ImagePullRequest& request);

// What `image rm REF` takes from one node: every listed name REF names there.
struct ImageRemoval {
    std::string runtime;
    std::vector<NodeImage> images;  // the names REF matched (before), removed (after)
    bool removed = false;           // the removal ran (not a dry run, not declined)
};

// Which names REF matches in a listing: "repo:tag" exactly, a bare "repo" as "repo:latest",
// a short name as the runtime resolves it ("busybox" → "localhost/busybox:latest",
// "docker.io/library/busybox:latest"), or an id / id prefix of at least 12 hex digits.
std::vector<NodeImage> images_matching(const std::vector<NodeImage>& images, std::string_view ref);

// First pass: list each node and keep what REF matches (changes nothing).
Result<std::vector<NodeResult<ImageRemoval>>> plan_image_removal(OpsContext& ctx, std::string_view ref,
                                                                 std::string_view nodeset);
// Second pass: remove the planned names on the nodes whose plan succeeded and is not empty;
// the others keep their plan's result (a node where REF names nothing is ok, nothing done).
std::vector<NodeResult<ImageRemoval>> remove_planned_images(OpsContext& ctx,
                                                            std::vector<NodeResult<ImageRemoval>> plan,
                                                            const OnNodeDone<ImageRemoval>& on_done = {});

}  // namespace cc
