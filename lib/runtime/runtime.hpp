// The container runtime on a node (podman or docker, from its facts) behind one
// small interface: argv builders (run through lib/remote's quoting) and parsers
// of what the runtime prints. Running them is the caller's (ops/).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cc {

enum class RuntimeKind { podman, docker };

// From a node's facts ("podman", "docker"); a node without one is an error naming it.
Result<RuntimeKind> runtime_kind(std::string_view facts_runtime);
const char* runtime_name(RuntimeKind kind);

struct NodeImage {
    std::string repository;  // "" for a dangling image
    std::string tag;
    std::string id;  // full sha256 id
    std::uint64_t size = 0;
};

class Runtime {
public:
    explicit Runtime(RuntimeKind kind) : kind_(kind) {}
    RuntimeKind kind() const { return kind_; }

    // `pull REF`; tls_verify=false only for clusterctl's own loopback registry; authfile "" = none.
    std::vector<std::string> pull_argv(const std::string& ref, bool tls_verify, const std::string& authfile) const;
    std::vector<std::string> tag_argv(const std::string& from, const std::string& to) const;
    // Removes one name (the image goes when no name is left), as `podman rmi` / `docker rmi`.
    std::vector<std::string> remove_argv(const std::string& ref, bool force) const;
    std::vector<std::string> list_argv() const;  // machine-readable listing
    Result<std::vector<NodeImage>> parse_list(std::string_view output) const;

private:
    RuntimeKind kind_;
};

}  // namespace cc
