#include "registry/client.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "core/base64.hpp"
#include "core/interrupt.hpp"
#include "registry/http_registry_client.hpp"

namespace cc {

using nlohmann::json;

namespace {

constexpr int kMaxRedirects = 5;
constexpr auto kMaxRetryAfter = std::chrono::seconds(60);

// Sleeps in short steps so Ctrl-C is not held up by a long Retry-After.
void wait_for(std::chrono::milliseconds delay) {
    auto until = std::chrono::steady_clock::now() + delay;
    while (!interrupt_requested() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

std::chrono::milliseconds backoff(int attempt, const HttpResponse* response) {
    if (response)
        if (auto after = response->header("retry-after"); after && !after->empty() &&
                                                            after->find_first_not_of("0123456789") == std::string::npos &&
                                                            after->size() < 6)
            return std::min<std::chrono::milliseconds>(std::chrono::seconds(std::stoi(*after)), kMaxRetryAfter);
    return std::chrono::milliseconds(std::min(500 << attempt, 8000));
}

bool retryable_status(long status) { return status == 429 || status >= 500; }

}  // namespace

Result<std::unique_ptr<RegistryClient>> RegistryClient::open(std::string registry, RegistryOptions options) {
    if (registry.empty()) return fail(ErrorKind::invalid_input, "empty registry name");
    for (char c : registry)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
            return fail(ErrorKind::invalid_input, fmt::format("invalid registry \"{}\"", registry));
    return std::unique_ptr<RegistryClient>(new HttpRegistryClient(std::move(registry), std::move(options)));
}

HttpRegistryClient::HttpRegistryClient(std::string registry, RegistryOptions options)
    : registry_(std::move(registry)), options_(std::move(options)),
      http_(HttpOptions{options_.ca_file, options_.connect_timeout, options_.low_speed_time}) {
    // docker.io is a name; the API lives on registry-1.docker.io.
    std::string host = registry_ == "docker.io" ? "registry-1.docker.io" : registry_;
    base_ = (options_.insecure ? "http://" : "https://") + host;
    origin_ = url_origin(base_);
}

std::optional<std::string> HttpRegistryClient::authorization(const std::string& scope) {
    std::lock_guard lock(mutex_);
    if (scheme_ == Scheme::basic && options_.credentials)
        return "Authorization: Basic " +
               base64_encode(options_.credentials->username + ":" + options_.credentials->password);
    if (scheme_ == Scheme::bearer)
        if (auto token = tokens_.find(scope); token != tokens_.end()) return "Authorization: Bearer " + token->second;
    return std::nullopt;
}

HttpRegistryClient::Sent HttpRegistryClient::send_once(HttpRequest request, const std::string& scope,
                                                       bool follow_redirects) {
    auto auth = authorization(scope);
    for (int hop = 0;; ++hop) {
        HttpRequest attempt = request;
        // Credentials go only to the registry itself, never to the storage a redirect points at.
        if (auth && url_origin(attempt.url) == origin_) attempt.headers.push_back(*auth);
        auto response = http_.perform(attempt);
        if (!response) return response;
        bool redirect = response->status == 301 || response->status == 302 || response->status == 303 ||
                        response->status == 307 || response->status == 308;
        if (!follow_redirects || !redirect) return response;
        auto location = response->header("location");
        if (!location || hop >= kMaxRedirects)
            return std::unexpected(HttpFailure{Error{ErrorKind::remote, fmt::format("registry {}: too many or empty redirects", registry_)}, false});
        std::string next = resolve_url(request.url, *location);
        if (next.empty() || (!options_.insecure && !next.starts_with("https://")))
            return std::unexpected(HttpFailure{
                Error{ErrorKind::remote, fmt::format("registry {}: refusing redirect to \"{}\"", registry_, location->substr(0, 200))},
                false});
        request.url = next;
        if (response->status == 303) request.method = "GET";
    }
}

HttpRegistryClient::Sent HttpRegistryClient::send(HttpRequest request, const std::string& scope,
                                                  const SendOptions& how) {
    bool authenticated = false;
    for (int attempt = 0;;) {
        if (how.before_attempt)
            if (auto ok = how.before_attempt(); !ok) return std::unexpected(HttpFailure{ok.error(), false});
        bool sent_credentials = authorization(scope).has_value();
        auto response = send_once(request, scope, how.follow_redirects);
        bool may_retry = how.retry && attempt < options_.retries && !interrupt_requested();
        if (!response) {
            if (!response.error().retryable || !may_retry) return response;
            wait_for(backoff(attempt++, nullptr));
            continue;
        }
        if (response->status == 401 && !authenticated) {
            if (auto ok = authenticate(*response, scope, sent_credentials); !ok)
                return std::unexpected(HttpFailure{ok.error(), false});
            authenticated = true;
            continue;
        }
        if (response->status == 401)
            return std::unexpected(HttpFailure{
                Error{ErrorKind::auth, options_.credentials
                                           ? fmt::format("registry {}: wrong username or password", registry_)
                                           : fmt::format("registry {} requires a login (clusterctl registry login {})",
                                                         registry_, registry_)},
                false});
        if (retryable_status(response->status) && may_retry) {
            wait_for(backoff(attempt++, &*response));
            continue;
        }
        return response;
    }
}

Result<void> HttpRegistryClient::authenticate(const HttpResponse& response, const std::string& scope,
                                              bool sent_credentials) {
    std::vector<AuthChallenge> challenges;
    for (const auto& header : response.headers_named("www-authenticate"))
        for (auto& challenge : parse_www_authenticate(header)) challenges.push_back(std::move(challenge));
    for (const auto& challenge : challenges) {
        if (challenge.scheme != "bearer") continue;
        auto token = fetch_token(challenge, scope);
        if (!token) return std::unexpected(token.error());
        std::lock_guard lock(mutex_);
        scheme_ = Scheme::bearer;
        tokens_[scope] = *token;
        return {};
    }
    for (const auto& challenge : challenges) {
        if (challenge.scheme != "basic") continue;
        if (!options_.credentials)
            return fail(ErrorKind::auth,
                        fmt::format("registry {} requires a login (clusterctl registry login {})", registry_, registry_));
        if (sent_credentials) return fail(ErrorKind::auth, fmt::format("registry {}: wrong username or password", registry_));
        std::lock_guard lock(mutex_);
        scheme_ = Scheme::basic;
        return {};
    }
    return fail(ErrorKind::auth, fmt::format("registry {} answered 401 without a Basic or Bearer challenge", registry_));
}

Result<std::string> HttpRegistryClient::fetch_token(const AuthChallenge& challenge, const std::string& scope) {
    auto realm = challenge.params.find("realm");
    if (realm == challenge.params.end() || realm->second.empty())
        return fail(ErrorKind::auth, fmt::format("registry {}: bearer challenge without a realm", registry_));
    if (!realm->second.starts_with("https://") && !(options_.insecure && realm->second.starts_with("http://")))
        return fail(ErrorKind::auth, fmt::format("registry {}: refusing token realm \"{}\" (not https)", registry_,
                                                 realm->second.substr(0, 200)));
    std::string query;
    if (auto service = challenge.params.find("service"); service != challenge.params.end())
        query += "service=" + url_escape(service->second);
    // Our scope for this request; the challenge's when we have none (ping).
    std::string wanted = scope;
    if (wanted.empty())
        if (auto asked = challenge.params.find("scope"); asked != challenge.params.end()) wanted = asked->second;
    for (std::size_t start = 0; start < wanted.size();) {
        auto end = wanted.find(' ', start);
        if (end == std::string::npos) end = wanted.size();
        if (end > start) query += (query.empty() ? "" : "&") + std::string("scope=") + url_escape(wanted.substr(start, end - start));
        start = end + 1;
    }
    HttpRequest request;
    request.url = realm->second + (query.empty() ? "" : (realm->second.find('?') == std::string::npos ? "?" : "&") + query);
    const auto& credentials = options_.credentials;
    if (credentials && !credentials->identity_token.empty()) {
        // An identity token (from a credential helper) is exchanged by the OAuth2 refresh grant.
        request.method = "POST";
        request.url = realm->second;
        request.headers.push_back("Content-Type: application/x-www-form-urlencoded");
        request.body = query + "&grant_type=refresh_token&client_id=clusterctl&refresh_token=" +
                       url_escape(credentials->identity_token);
    } else if (credentials) {
        request.headers.push_back("Authorization: Basic " +
                                  base64_encode(credentials->username + ":" + credentials->password));
    }
    for (int attempt = 0;; ++attempt) {
        auto response = http_.perform(request);
        if (!response) {
            if (response.error().retryable && attempt < options_.retries) {
                wait_for(backoff(attempt, nullptr));
                continue;
            }
            return fail(response.error().error.kind,
                        fmt::format("registry {}: token service: {}", registry_, response.error().error.message));
        }
        if (retryable_status(response->status) && attempt < options_.retries) {
            wait_for(backoff(attempt, &*response));
            continue;
        }
        if (response->status == 401 || response->status == 403)
            return fail(ErrorKind::auth, credentials ? fmt::format("registry {}: wrong username or password", registry_)
                                                     : fmt::format("registry {} requires a login (clusterctl registry login {})",
                                                                   registry_, registry_));
        if (response->status != 200) return std::unexpected(status_error(*response, "token service"));
        json doc = json::parse(response->body, nullptr, false);
        std::string token;
        if (doc.is_object()) token = doc.value("token", doc.value("access_token", ""));
        if (token.empty()) return fail(ErrorKind::auth, fmt::format("registry {}: the token service sent no token", registry_));
        return token;
    }
}

Error HttpRegistryClient::status_error(const HttpResponse& response, const std::string& what) const {
    std::string detail;
    json doc = json::parse(response.body, nullptr, false);
    if (doc.is_object() && doc.contains("errors") && doc["errors"].is_array() && !doc["errors"].empty() &&
        doc["errors"][0].is_object()) {
        const auto& first = doc["errors"][0];
        detail = fmt::format("{}: {}", first.value("code", std::string("?")),
                             first.value("message", std::string()).substr(0, 200));
    }
    ErrorKind kind = response.status == 404                              ? ErrorKind::not_found
                     : response.status == 401 || response.status == 403 ? ErrorKind::auth
                                                                         : ErrorKind::remote;
    return Error{kind, fmt::format("registry {}: {}: {}HTTP {}", registry_, what, detail.empty() ? "" : detail + " (",
                                   response.status) +
                           (detail.empty() ? "" : ")")};
}

}  // namespace cc
