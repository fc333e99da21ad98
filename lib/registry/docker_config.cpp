#include "registry/docker_config.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/base64.hpp"

namespace cc {

using nlohmann::json;

std::string normalize_registry_key(std::string_view key) {
    if (auto scheme = key.find("://"); scheme != std::string_view::npos) key = key.substr(scheme + 3);
    if (auto slash = key.find('/'); slash != std::string_view::npos) key = key.substr(0, slash);
    std::string host(key);
    if (host == "index.docker.io" || host == "registry-1.docker.io") host = "docker.io";
    return host;
}

Result<std::optional<DockerConfigEntry>> docker_config_lookup(std::string_view json_text, std::string_view registry) {
    json doc = json::parse(json_text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return fail(ErrorKind::config, "docker config is not a JSON object");
    DockerConfigEntry entry;
    bool found = false;
    if (auto helpers = doc.find("credHelpers"); helpers != doc.end() && helpers->is_object())
        for (const auto& [key, value] : helpers->items())
            if (normalize_registry_key(key) == registry && value.is_string()) {
                entry.helper = value.get<std::string>();
                found = true;
            }
    if (auto auths = doc.find("auths"); auths != doc.end() && auths->is_object()) {
        for (const auto& [key, value] : auths->items()) {
            if (normalize_registry_key(key) != registry || !value.is_object()) continue;
            Credentials credentials;
            if (auto auth = value.find("auth"); auth != value.end() && auth->is_string() && !auth->get<std::string>().empty()) {
                auto decoded = base64_decode(auth->get<std::string>());
                auto colon = decoded ? decoded->find(':') : std::string::npos;
                if (colon == std::string::npos)
                    return fail(ErrorKind::config, fmt::format("docker config: the \"auth\" of {} is not base64 of user:password", key));
                credentials.username = decoded->substr(0, colon);
                credentials.password = decoded->substr(colon + 1);
            } else {
                if (auto user = value.find("username"); user != value.end() && user->is_string()) credentials.username = *user;
                if (auto pass = value.find("password"); pass != value.end() && pass->is_string()) credentials.password = *pass;
            }
            if (auto token = value.find("identitytoken"); token != value.end() && token->is_string())
                credentials.identity_token = *token;
            if (!credentials.username.empty() || !credentials.identity_token.empty()) {
                entry.credentials = std::move(credentials);
                found = true;
            }
        }
    }
    // A credsStore holds every registry that no credHelpers entry or inline auth names.
    if (entry.helper.empty() && !entry.credentials)
        if (auto store = doc.find("credsStore"); store != doc.end() && store->is_string() && !store->get<std::string>().empty()) {
            entry.helper = store->get<std::string>();
            found = true;
        }
    if (!found) return std::optional<DockerConfigEntry>{};
    return std::optional<DockerConfigEntry>{std::move(entry)};
}

Result<Credentials> parse_helper_answer(std::string_view json_text) {
    json doc = json::parse(json_text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object() || !doc.contains("Secret") || !doc["Secret"].is_string())
        return fail(ErrorKind::auth, "the credential helper's answer is not {\"Username\",\"Secret\"} JSON");
    Credentials credentials;
    std::string username = doc.value("Username", "");
    if (username == "<token>")
        credentials.identity_token = doc["Secret"].get<std::string>();
    else {
        credentials.username = username;
        credentials.password = doc["Secret"].get<std::string>();
    }
    return credentials;
}

}  // namespace cc
