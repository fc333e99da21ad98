// The credential sources of ~/.docker/config.json (and clusterctl's auth.json,
// which uses the same "auths" shape): which registry key matches a host, and
// what a credential helper answers.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "registry/credentials.hpp"

namespace cc {

// Where docker's config says a registry's credentials are.
struct DockerConfigEntry {
    std::optional<Credentials> credentials;  // from "auths" (base64 "auth", or username/password)
    std::string helper;                      // "pass" for docker-credential-pass (credHelpers, then credsStore)
};

// "https://index.docker.io/v1/", "http://reg:5000/", "reg:5000" → the host as an ImageRef has it.
std::string normalize_registry_key(std::string_view key);

// The entry for `registry` in a config.json's text; nullopt when it names none.
Result<std::optional<DockerConfigEntry>> docker_config_lookup(std::string_view json_text, std::string_view registry);

// A credential helper's `get` answer: {"ServerURL","Username","Secret"}; "<token>" as the
// username means the secret is an identity token.
Result<Credentials> parse_helper_answer(std::string_view json_text);

// Runs `docker-credential-NAME get` (no shell) with the server on stdin; nullopt when the helper
// knows no credentials for it. Bounded output, a timeout, the helper's stderr not shown.
Result<std::optional<Credentials>> run_credential_helper(const std::string& name, std::string_view server);

}  // namespace cc
