// The node side of the instance commands: one pinned connection to the
// instance's node, opened on first use, and the few round trips made on it.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "ops/context.hpp"
#include "ops/gpu_status.hpp"
#include "runtime/container.hpp"

namespace cc {

struct NodeProbe {
    std::vector<HostPort> listening;
    bool image_present = false;
    bool storage_quota = false;  // the runtime can hold a container's root to a size
};

struct StartedContainer {
    StorageLimit storage = StorageLimit::not_asked;
    ContainerState state;
};

class NodeInstanceRun {
public:
    NodeInstanceRun(OpsContext& ctx, Node node) : ctx_(ctx), node_(std::move(node)) {}

    // Listening ports, whether the image is there, and (when asked) whether a root size holds: one round trip.
    Result<NodeProbe> probe(const std::string& image, bool storage_asked);
    // The runtime options for the claimed GPUs (AMD: their render nodes, looked up on the node).
    Result<std::vector<GpuDevice>> gpu_devices(const std::string& vendor, const std::vector<GpuView>& node_gpus,
                                               const std::vector<std::string>& uuids);
    // `run -d` then `inspect`, in one round trip.
    Result<StartedContainer> start(const ContainerSpec& spec, bool storage_quota);
    // Removes (rm -f) the containers labelled as instance `name`: never another container of that name.
    Result<void> remove_leftover(const std::string& name);
    // One runtime argv, its output bounded; a non-zero exit is the runtime's own message.
    Result<ExecResult> runtime_command(const std::vector<std::string>& argv, const char* what);

    Result<RuntimeKind> kind();

private:
    Result<Connection*> connection();
    OpsContext& ctx_;
    Node node_;
    std::unique_ptr<Connection> connection_;
};

// `image push SOURCE --to NODE --name IMAGE` for one node: the node's runtime gets IMAGE.
Result<void> push_image_to(OpsContext& ctx, const Node& node, const std::string& source, const std::string& image);

// The label filter argv listing the ids of instance `name`'s containers.
std::vector<std::string> instance_container_ids_argv(RuntimeKind kind, const std::string& name);

}  // namespace cc
