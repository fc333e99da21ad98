// One HTTP exchange over libcurl for the registry client: TLS verified (plus an
// optional private CA), bounded headers and bodies, a streamed body sink for
// blobs, a file range as the request body for uploads. No retries, no auth and
// no redirects here: the client decides those (it must drop Authorization when a
// redirect leaves the registry's host).
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace cc {

struct HttpRequest {
    std::string method = "GET";  // GET, HEAD, POST, PUT, PATCH
    std::string url;
    std::vector<std::string> headers;  // "Name: value"
    std::string body;                  // a small body (manifest, token form)
    // Or a range of a file as the body (blob uploads); length 0 with a file means an empty body.
    std::filesystem::path body_file;
    std::uint64_t body_offset = 0;
    std::uint64_t body_length = 0;
    // Without a sink the response body is kept, up to max_body bytes (more is an error).
    std::size_t max_body = 64 << 10;
    // For 2xx responses only: each chunk of the body goes here instead (a failure stops the transfer).
    std::function<Result<void>(std::string_view)> sink;
    std::function<void(std::uint64_t)> progress;  // request body bytes sent so far (uploads)
};

struct HttpResponse {
    long status = 0;
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, of the last response
    std::string body;
    std::optional<std::string> header(std::string_view name) const;  // the first one named so
    std::vector<std::string> headers_named(std::string_view name) const;
};

struct HttpOptions {
    std::string ca_file;
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::seconds low_speed_time{30};
};

// A transport failure (no HTTP status): connect refused, TLS, timeout, connection cut.
// `retryable` marks those worth another attempt.
struct HttpFailure {
    Error error;
    bool retryable = false;
};

class HttpClient {
public:
    explicit HttpClient(HttpOptions options);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    std::expected<HttpResponse, HttpFailure> perform(const HttpRequest& request);

private:
    void* take_handle();
    void give_back(void* handle);
    HttpOptions options_;
    std::mutex mutex_;
    std::vector<void*> idle_;  // CURL* kept for their connection and TLS session caches
};

// Resolves `location` (absolute, or relative as registries send it) against `base`; "" when unparseable.
std::string resolve_url(const std::string& base, const std::string& location);
// "scheme://host:port" of a URL, for same-origin checks; "" when unparseable.
std::string url_origin(const std::string& url);
// Percent-encodes a query parameter value.
std::string url_escape(std::string_view text);

}  // namespace cc
