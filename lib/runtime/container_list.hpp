// The containers clusterctl started on a node (those with the clusterctl.instance
// label), as the runtime lists them: the argv and its strict, bounded parser.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "runtime/runtime.hpp"

namespace cc {

struct ListedContainer {
    std::string id;        // 64 lowercase hex digits
    std::string name;      // the container's first name
    std::string instance;  // its clusterctl.instance label
    std::string owner;     // its clusterctl.owner label ("" if absent)
    std::string state;     // "running", "exited", "created", "paused", … as the runtime says
    // Unix seconds of the last start: podman's ps has it; docker's ps does not (nullopt; its
    // inspect does), nor does a container never started.
    std::optional<std::int64_t> started_at;
};

// A node's answer is hostile input: past these it is refused, not truncated.
constexpr std::size_t kMaxContainerListBytes = 32 * 1024 * 1024;
constexpr std::size_t kMaxListedContainers = 10'000;
constexpr std::size_t kMaxContainerFieldBytes = 1024;

// podman: `ps -a --filter label=clusterctl.instance --format json` (one JSON array);
// docker: the same filter with a --format template writing one JSON object per line
// whose values docker itself JSON-encodes (its own `{{json .}}` joins labels with
// commas, which a label value may hold).
std::vector<std::string> container_list_argv(RuntimeKind kind);
Result<std::vector<ListedContainer>> parse_container_list(RuntimeKind kind, std::string_view output);

}  // namespace cc
