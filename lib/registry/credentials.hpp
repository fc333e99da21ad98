// Registry credentials: clusterctl's own file (written by `registry login`, 0600)
// first, then ~/.docker/config.json (auths, credHelpers, credsStore).
#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cc {

struct Credentials {
    std::string username;        // may contain '$' (Harbor robot accounts)
    std::string password;
    std::string identity_token;  // a refresh token some helpers return instead of a password
};

struct StoredLogin {
    std::string registry;
    std::string username;
    std::string source;  // "clusterctl", "docker config", "credential helper docker-credential-X"
};

class CredentialStore {
public:
    // own_file: default $XDG_CONFIG_HOME/clusterctl/auth.json; docker_config: default ~/.docker/config.json
    CredentialStore(std::filesystem::path own_file, std::filesystem::path docker_config);
    static CredentialStore open_default();

    // nullopt when no source knows the registry (anonymous access).
    Result<std::optional<Credentials>> lookup(std::string_view registry) const;
    Result<void> save(std::string_view registry, const Credentials& credentials) const;  // atomic, 0600
    Result<bool> remove(std::string_view registry) const;  // false: nothing stored for it
    Result<std::vector<StoredLogin>> list() const;        // never the secrets

private:
    std::filesystem::path own_file_;
    std::filesystem::path docker_config_;
};

}  // namespace cc
