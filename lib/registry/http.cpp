#include "registry/http.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/interrupt.hpp"

namespace cc {

namespace {

constexpr std::size_t kMaxHeaderBytes = 64 << 10;

std::once_flag curl_initialised;

std::string lower(std::string_view text) {
    std::string out(text);
    std::ranges::transform(out, out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    return text;
}

struct Exchange {
    const HttpRequest* request = nullptr;
    HttpResponse response;
    std::size_t header_bytes = 0;
    bool header_overflow = false;
    bool body_overflow = false;
    std::optional<Error> sink_error;
    int body_fd = -1;
    std::uint64_t body_sent = 0;
};

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
    auto* exchange = static_cast<Exchange*>(user);
    std::size_t n = size * count;
    exchange->header_bytes += n;
    if (exchange->header_bytes > kMaxHeaderBytes) {
        exchange->header_overflow = true;
        return 0;
    }
    std::string_view line(data, n);
    if (line.starts_with("HTTP/")) {
        // A 100 Continue may come first. The status is needed before the body: it picks sink or buffer.
        exchange->response.headers.clear();
        auto space = line.find(' ');
        if (space != std::string_view::npos) exchange->response.status = std::atol(line.data() + space + 1);
        return n;
    }
    auto colon = line.find(':');
    if (colon != std::string_view::npos)
        exchange->response.headers.emplace_back(lower(trim(line.substr(0, colon))),
                                                std::string(trim(line.substr(colon + 1))));
    return n;
}

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* exchange = static_cast<Exchange*>(user);
    std::size_t n = size * count;
    if (interrupt_requested()) return 0;
    if (exchange->request->sink && exchange->response.status / 100 == 2) {
        if (auto ok = exchange->request->sink(std::string_view(data, n)); !ok) {
            exchange->sink_error = ok.error();
            return 0;
        }
        return n;
    }
    std::size_t limit = exchange->request->sink ? (64u << 10) : exchange->request->max_body;
    if (exchange->response.body.size() + n > limit) {
        exchange->body_overflow = true;
        return 0;
    }
    exchange->response.body.append(data, n);
    return n;
}

std::size_t on_read(char* buffer, std::size_t size, std::size_t count, void* user) {
    auto* exchange = static_cast<Exchange*>(user);
    std::uint64_t left = exchange->request->body_length - exchange->body_sent;
    std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, size * count));
    if (want == 0) return 0;
    ssize_t n;
    do {
        n = ::pread(exchange->body_fd, buffer, want,
                    static_cast<off_t>(exchange->request->body_offset + exchange->body_sent));
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return CURL_READFUNC_ABORT;  // the file shrank under us: never send a short blob
    exchange->body_sent += static_cast<std::uint64_t>(n);
    if (exchange->request->progress) exchange->request->progress(exchange->body_sent);
    return static_cast<std::size_t>(n);
}

int on_transfer_info(void*, curl_off_t, curl_off_t, curl_off_t, curl_off_t) { return interrupt_requested() ? 1 : 0; }

bool is_retryable(CURLcode code) {
    switch (code) {
        case CURLE_COULDNT_CONNECT:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_GOT_NOTHING:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_PARTIAL_FILE:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
            return true;
        default:
            return false;
    }
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
    for (const auto& [key, value] : headers)
        if (key == name) return value;
    return std::nullopt;
}

std::vector<std::string> HttpResponse::headers_named(std::string_view name) const {
    std::vector<std::string> values;
    for (const auto& [key, value] : headers)
        if (key == name) values.push_back(value);
    return values;
}

HttpClient::HttpClient(HttpOptions options) : options_(std::move(options)) {
    std::call_once(curl_initialised, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

HttpClient::~HttpClient() {
    for (void* handle : idle_) curl_easy_cleanup(static_cast<CURL*>(handle));
}

void* HttpClient::take_handle() {
    {
        std::lock_guard lock(mutex_);
        if (!idle_.empty()) {
            void* handle = idle_.back();
            idle_.pop_back();
            return handle;
        }
    }
    return curl_easy_init();
}

void HttpClient::give_back(void* handle) {
    std::lock_guard lock(mutex_);
    idle_.push_back(handle);
}

std::expected<HttpResponse, HttpFailure> HttpClient::perform(const HttpRequest& request) {
    CURL* curl = static_cast<CURL*>(take_handle());
    if (!curl) return std::unexpected(HttpFailure{Error{ErrorKind::io, "cannot start libcurl"}, false});
    curl_easy_reset(curl);  // keeps the connection and TLS session caches
    Exchange exchange;
    exchange.request = &request;
    char error_text[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_text);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options_.low_speed_time.count()));
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "clusterctl/" CLUSTERCTL_VERSION);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &exchange);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &exchange);

    curl_slist* headers = nullptr;
    for (const auto& header : request.headers) headers = curl_slist_append(headers, header.c_str());
    if (request.method == "HEAD") {
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else if (request.method != "GET") {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
        if (!request.body_file.empty()) {
            exchange.body_fd = ::open(request.body_file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            if (exchange.body_fd < 0) {
                curl_slist_free_all(headers);
                give_back(curl);
                return std::unexpected(HttpFailure{
                    Error{ErrorKind::io, fmt::format("cannot open \"{}\": {}", request.body_file.string(),
                                                     std::strerror(errno))},
                    false});
            }
            curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
            curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
            curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
            curl_easy_setopt(curl, CURLOPT_READDATA, &exchange);
            curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body_length));
            // Registries answer a PUT without "100-continue" as well; skipping it saves a round trip per blob.
            headers = curl_slist_append(headers, "Expect:");
        } else {
            curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
            curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
        }
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_transfer_info);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);

    CURLcode code = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    if (exchange.body_fd >= 0) ::close(exchange.body_fd);
    give_back(curl);

    auto failure = [&](ErrorKind kind, std::string message, bool retryable) {
        return std::unexpected(HttpFailure{Error{kind, std::move(message)}, retryable});
    };
    if (exchange.sink_error) return failure(exchange.sink_error->kind, exchange.sink_error->message, false);
    if (exchange.header_overflow) return failure(ErrorKind::remote, "response headers larger than 64 KiB", false);
    if (exchange.body_overflow)
        return failure(ErrorKind::remote, fmt::format("response body larger than {} bytes", request.max_body), false);
    if (code == CURLE_ABORTED_BY_CALLBACK && interrupt_requested()) return failure(ErrorKind::interrupted, "interrupted", false);
    if (code != CURLE_OK) {
        ErrorKind kind = code == CURLE_OPERATION_TIMEDOUT ? ErrorKind::timeout
                         : code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ? ErrorKind::unreachable
                                                                                               : ErrorKind::remote;
        std::string detail = error_text[0] ? error_text : curl_easy_strerror(code);
        return failure(kind, detail, is_retryable(code));
    }
    exchange.response.status = status;
    return std::move(exchange.response);
}

std::string resolve_url(const std::string& base, const std::string& location) {
    CURLU* url = curl_url();
    std::string out;
    char* text = nullptr;
    if (curl_url_set(url, CURLUPART_URL, base.c_str(), 0) == CURLUE_OK &&
        curl_url_set(url, CURLUPART_URL, location.c_str(), 0) == CURLUE_OK &&
        curl_url_get(url, CURLUPART_URL, &text, 0) == CURLUE_OK) {
        out = text;
        curl_free(text);
    }
    curl_url_cleanup(url);
    return out;
}

std::string url_origin(const std::string& url) {
    CURLU* handle = curl_url();
    std::string out;
    char* scheme = nullptr;
    char* host = nullptr;
    char* port = nullptr;
    if (curl_url_set(handle, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK &&
        curl_url_get(handle, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(handle, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(handle, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
        out = lower(std::string(scheme) + "://" + host + ":" + port);
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(handle);
    return out;
}

std::string url_escape(std::string_view text) {
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
            out += static_cast<char>(c);
        else
            out += fmt::format("%{:02X}", c);
    }
    return out;
}

}  // namespace cc
