#include "runtime/runtime.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/base64.hpp"
#include "core/shell_quote.hpp"

namespace cc {

Result<RuntimeKind> runtime_kind(std::string_view facts_runtime) {
    if (facts_runtime == "podman") return RuntimeKind::podman;
    if (facts_runtime == "docker") return RuntimeKind::docker;
    if (facts_runtime.empty())
        return fail(ErrorKind::not_found, "no container runtime (podman or docker) found on the node");
    return fail(ErrorKind::invalid_input, fmt::format("unknown container runtime \"{}\" (podman or docker)",
                                                      facts_runtime.substr(0, 64)));
}

const char* runtime_name(RuntimeKind kind) { return kind == RuntimeKind::podman ? "podman" : "docker"; }

const char* Runtime::auth_file_name() const { return kind_ == RuntimeKind::podman ? "auth.json" : "config.json"; }

// Every argv ends its options with "--": a reference can never be read as a flag.
std::vector<std::string> Runtime::pull_argv(const std::string& ref, bool tls_verify, const std::string& authfile) const {
    // --quiet: progress lines would fill the bounded stderr we keep and push out the error.
    if (kind_ == RuntimeKind::podman) {
        std::vector<std::string> argv{"podman", "pull", "--quiet"};
        // Only clusterctl's own registry, reached through the node's loopback, goes unverified:
        // a caller's mistake must not turn TLS off for a real registry.
        const bool loopback = ref.starts_with("127.0.0.1:") || ref.starts_with("localhost:") || ref.starts_with("[::1]:");
        if (!tls_verify && loopback) argv.emplace_back("--tls-verify=false");
        if (!authfile.empty()) {
            argv.emplace_back("--authfile");
            argv.push_back(authfile);
        }
        argv.emplace_back("--");
        argv.push_back(ref);
        return argv;
    }
    // docker has no per-pull TLS switch: dockerd itself treats 127.0.0.0/8 as an
    // insecure registry, which is the only case tls_verify=false is for.
    std::vector<std::string> argv{"docker"};
    if (!authfile.empty()) {
        auto slash = authfile.rfind('/');
        argv.emplace_back("--config");
        argv.push_back(slash == std::string::npos ? "." : (slash == 0 ? "/" : authfile.substr(0, slash)));
    }
    for (const char* word : {"pull", "--quiet", "--"}) argv.emplace_back(word);
    argv.push_back(ref);
    return argv;
}

std::vector<std::string> Runtime::tag_argv(const std::string& from, const std::string& to) const {
    return {runtime_name(kind_), "tag", "--", from, to};
}

std::vector<std::string> Runtime::remove_argv(const std::string& ref, bool force) const {
    return remove_argv(std::vector<std::string>{ref}, force);
}

std::vector<std::string> Runtime::remove_argv(const std::vector<std::string>& refs, bool force) const {
    std::vector<std::string> argv{runtime_name(kind_), "rmi"};
    if (force) argv.emplace_back("--force");
    argv.emplace_back("--");
    argv.insert(argv.end(), refs.begin(), refs.end());
    return argv;
}

namespace {

// What podman calls a name with no registry domain: "team/app" is "localhost/team/app".
std::string podman_qualified(const std::string& repository) {
    auto slash = repository.find('/');
    std::string first = repository.substr(0, slash);
    bool domain = slash != std::string::npos &&
                  (first.find_first_of(".:") != std::string::npos || first == "localhost");
    return domain ? repository : "localhost/" + repository;
}

bool only(std::string_view text, std::string_view allowed) {
    return !text.empty() && text.find_first_not_of(allowed) == std::string_view::npos;
}

constexpr std::string_view kNameCharacters = "abcdefghijklmnopqrstuvwxyz0123456789._-/:[]";
constexpr std::string_view kTagCharacters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";

}  // namespace

Result<void> check_image_name(std::string_view repository, std::string_view tag) {
    if (!only(repository, kNameCharacters) || repository.size() > 255)
        return fail(ErrorKind::invalid_input, fmt::format("invalid image name \"{}\"", repository));
    if (!only(tag, kTagCharacters) || tag.size() > 128)
        return fail(ErrorKind::invalid_input, fmt::format("invalid image tag \"{}\"", tag));
    return {};
}

Result<std::string> Runtime::install_served_line(const std::string& served, const std::string& repository,
                                                 const std::string& tag) const {
    if (auto ok = check_image_name(served, tag); !ok) return std::unexpected(ok.error());
    if (auto ok = check_image_name(repository, tag); !ok) return std::unexpected(ok.error());
    const std::string temporary = served + ":" + tag;
    if (kind_ == RuntimeKind::podman) {
        const std::string name = podman_qualified(repository);
        std::vector<std::string> pull{"podman", "pull", "--quiet", "--", name + ":" + tag};
        return fmt::format(
            "clusterctl_conf=$(mktemp -d) || exit 1\n"
            "trap 'rm -rf \"$clusterctl_conf\"' EXIT\n"
            "trap 'exit 143' HUP INT TERM\n"
            "printf '%s\\n' {} > \"$clusterctl_conf\"/registries.conf || exit 1\n"
            "CONTAINERS_REGISTRIES_CONF=\"$clusterctl_conf\"/registries.conf {}\n",
            shell_join({"[[registry]]", fmt::format("prefix = \"{}\"", name), fmt::format("location = \"{}\"", served),
                        "insecure = true"}),
            shell_join(pull));
    }
    const std::string drop = shell_join(remove_argv(temporary, false)) + " >/dev/null";
    return fmt::format("{} || {{ s=$?; {} 2>&1; exit $s; }}\n"
                       "{} || {{ s=$?; {} 2>&1; exit $s; }}\n"
                       "exec {}\n",
                       shell_join(pull_argv(temporary, false, "")), drop,
                       shell_join(tag_argv(temporary, repository + ":" + tag)), drop, drop);
}

std::vector<std::string> Runtime::list_argv() const {
    // podman: one JSON array, one object per image with all its names and a byte size.
    // docker: one JSON object per line and per name; --no-trunc for the full id.
    if (kind_ == RuntimeKind::podman) return {"podman", "images", "--format", "json"};
    return {"docker", "images", "--no-trunc", "--format", "{{json .}}"};
}

std::string auth_file_contents(RuntimeKind kind, std::string_view registry, std::string_view username,
                               std::string_view password, std::string_view identity_token) {
    std::string key(registry);
    // docker looks Docker Hub's login up under its v1 index address, podman under "docker.io".
    if (kind == RuntimeKind::docker && (registry == "docker.io" || registry == "index.docker.io"))
        key = "https://index.docker.io/v1/";
    nlohmann::json entry = {{"auth", base64_encode(std::string(username) + ":" + std::string(password))}};
    if (!identity_token.empty()) entry["identitytoken"] = std::string(identity_token);
    nlohmann::json doc = {{"auths", {{key, entry}}}};
    return doc.dump();
}

std::string pull_with_auth_line(const Runtime& runtime, const std::string& ref) {
    // The pull runs inside the private directory so the auth file is named by a
    // relative path: the argv stays one shell_join'ed line with no expansion in it.
    const std::string file = runtime.auth_file_name();
    return fmt::format(
        "umask 077\n"
        "clusterctl_auth=$(mktemp -d) || exit 1\n"
        "trap 'rm -rf \"$clusterctl_auth\"' EXIT\n"
        "trap 'exit 143' HUP INT TERM\n"
        "head -c {} > \"$clusterctl_auth\"/{} || exit 1\n"
        "if [ \"$(wc -c < \"$clusterctl_auth\"/{})\" -gt {} ]; then echo 'auth file over {} bytes' >&2; exit 1; fi\n"
        "cd \"$clusterctl_auth\" || exit 1\n"
        "{}\n",
        kMaxAuthFileBytes + 1, file, file, kMaxAuthFileBytes, kMaxAuthFileBytes,
        shell_join(runtime.pull_argv(ref, true, file)));
}

}  // namespace cc
