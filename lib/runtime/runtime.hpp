// The container runtime on a node (podman or docker, from its facts) behind one
// small interface: argv builders (run through lib/remote's quoting) and parsers
// of what the runtime prints. Running them is the caller's (ops/).
#pragma once
#include <cstddef>
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

// "reg:5000/team/cuda:12.4" → {"reg:5000/team/cuda", "12.4"}: a port is not a tag,
// and a name pinned by digest ("…@sha256:…") has none.
struct ImageName {
    std::string repository;
    std::string tag;
};
ImageName split_image_name(std::string_view name);
// What names one listed image to its runtime: "repository:tag", or the id when it has no name.
std::string image_name(const NodeImage& image);

// A node's listing is hostile input: past these it is refused, not truncated.
constexpr std::size_t kMaxNodeImages = 20'000;
constexpr std::size_t kMaxImageNameBytes = 1024;

class Runtime {
public:
    explicit Runtime(RuntimeKind kind) : kind_(kind) {}
    RuntimeKind kind() const { return kind_; }

    // `pull REF`; tls_verify=false only for clusterctl's own loopback registry (ignored for a REF
    // not on 127.0.0.1, localhost or [::1]); authfile "" = none.
    // authfile must be a path auth_file_name() names (docker takes the directory
    // holding it: it has no flag for a file, only `--config DIR` with DIR/config.json).
    std::vector<std::string> pull_argv(const std::string& ref, bool tls_verify, const std::string& authfile) const;
    std::vector<std::string> tag_argv(const std::string& from, const std::string& to) const;
    // Removes one name (the image goes when no name is left), as `podman rmi` / `docker rmi`.
    std::vector<std::string> remove_argv(const std::string& ref, bool force) const;
    std::vector<std::string> remove_argv(const std::vector<std::string>& refs, bool force) const;  // several at once
    std::vector<std::string> list_argv() const;  // machine-readable listing
    Result<std::vector<NodeImage>> parse_list(std::string_view output) const;

    // One shell line (for with_remote_deadline) that stores the image clusterctl serves
    // at `served` ("127.0.0.1:PORT/REPO", tag `tag`) in the node's runtime as
    // `repository:tag`, with nothing left under any other name on any way out.
    // podman: one `podman pull` of the final name, with a private registries.conf
    // (CONTAINERS_REGISTRIES_CONF, in a mktemp -d directory removed afterwards)
    // that sends that name to `served`: the image lands under its own name, no
    // tag and untag, each a podman start that costs the node more than the pull.
    // docker (no such file): pull `served:tag`, tag it, drop the served name.
    // A repository or tag outside the reference grammar's characters is refused.
    Result<std::string> install_served_line(const std::string& served, const std::string& repository,
                                            const std::string& tag) const;

    // The auth file's name in the private directory it is written to: podman's
    // --authfile takes any name, docker's --config DIR reads DIR/config.json.
    const char* auth_file_name() const;

private:
    RuntimeKind kind_;
};

// A repository and tag made of the reference grammar's characters only (they reach
// argv and a TOML file on the node); an error names the bad one.
Result<void> check_image_name(std::string_view repository, std::string_view tag);

// One registry's login in the format both runtimes read (podman's auth.json is
// docker's config.json "auths"): {"auths":{REGISTRY:{"auth":base64(user:password)}}}.
// Docker Hub is keyed as docker expects it ("https://index.docker.io/v1/").
std::string auth_file_contents(RuntimeKind kind, std::string_view registry, std::string_view username,
                               std::string_view password, std::string_view identity_token = {});

// The shell line (POSIX sh, unwrapped: callers put it under with_remote_deadline) a
// node runs to pull `ref` with the auth file it reads from stdin (at most
// kMaxAuthFileBytes): written 0600 inside a private `mktemp -d` directory, as the
// login user, and removed with the directory on every way out (success, failure,
// the node's own deadline signal). The secret never reaches argv or the environment.
constexpr std::size_t kMaxAuthFileBytes = 64 * 1024;
std::string pull_with_auth_line(const Runtime& runtime, const std::string& ref);

}  // namespace cc
