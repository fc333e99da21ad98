#include "registry/serve.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

namespace cc {

namespace {

std::string key(const std::string& repository, const std::string& reference) { return repository + "\n" + reference; }

// A request line and headers larger than this are refused (431) and the connection closed:
// a node's runtime sends a few hundred bytes; anything bigger is hostile or broken.
constexpr std::size_t kMaxHead = 16 * 1024;
constexpr std::size_t kMaxPiled = 4 * kMaxHead;

bool valid_digest(std::string_view d) {
    if (!d.starts_with("sha256:") || d.size() != 7 + 64) return false;
    return std::all_of(d.begin() + 7, d.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

struct Request {
    std::string method;
    std::string path;  // without the query
    bool keep_alive = true;
    bool has_body = false;
};

// Parses one request head (request line and headers, without the blank line);
// nullopt when it is not HTTP/1.x.
std::optional<Request> parse_head(std::string_view head) {
    auto eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    auto sp1 = line.find(' ');
    auto sp2 = line.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 == sp1) return std::nullopt;
    Request r;
    r.method = std::string(line.substr(0, sp1));
    std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    std::string_view version = line.substr(sp2 + 1);
    if (!version.starts_with("HTTP/1.") || target.empty() || target.front() != '/') return std::nullopt;
    r.path = std::string(target.substr(0, target.find('?')));
    r.keep_alive = version != "HTTP/1.0";
    std::string_view rest = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
    while (!rest.empty()) {
        auto end = rest.find("\r\n");
        std::string_view field = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 2);
        auto colon = field.find(':');
        if (colon == std::string_view::npos) return std::nullopt;
        std::string name = lower(trim(field.substr(0, colon)));
        std::string value = lower(trim(field.substr(colon + 1)));
        if (name == "connection") r.keep_alive = value.find("close") == std::string::npos &&
                                                 (r.keep_alive || value.find("keep-alive") != std::string::npos);
        if ((name == "content-length" && value != "0") || name == "transfer-encoding") r.has_body = true;
    }
    return r;
}

const char* reason(int status) {
    switch (status) {
        case 200: return "OK";
        case 400: return "Bad Request";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 431: return "Request Header Fields Too Large";
        default: return "Internal Server Error";
    }
}

// One connection: requests are answered in order, one at a time; the next is
// parsed only when the last byte of the current answer was taken.
class RegistryResponder final : public StreamHandler {
public:
    RegistryResponder(const ServedImages& images, const BlobCache& cache, ServeCounters& counters)
        : images_(images), cache_(cache), counters_(counters) {}
    ~RegistryResponder() override { close_file(); }

    void received(std::string_view bytes, bool eof) override {
        if (closing_) return;  // what follows a refused request is not read
        input_.append(bytes);
        if (eof) peer_eof_ = true;
        // A runtime told to skip TLS verification still tries TLS first and falls back to
        // plain HTTP only when that fails; a ClientHello left waiting for an answer would
        // cost its 10 s handshake timeout on every pull. Not HTTP: close at once.
        if (!input_.empty() && answered() && !(input_.front() >= 'A' && input_.front() <= 'Z')) {
            input_.clear();
            closing_ = true;
            return;
        }
        // Runtimes do not pipeline: a peer piling up requests while a blob goes out
        // gets this answer finished and the connection closed, not unbounded memory.
        if (input_.size() > kMaxPiled) {
            input_.clear();
            closing_ = true;
            return;
        }
        next_request();
    }

    std::size_t next_output(std::span<char> buffer) override {
        if (answered()) {
            close_file();
            next_request();
        }
        std::size_t n = 0;
        if (head_at_ < head_.size()) {
            n = std::min(buffer.size(), head_.size() - head_at_);
            std::memcpy(buffer.data(), head_.data() + head_at_, n);
            head_at_ += n;
        } else if (body_at_ < body_.size()) {
            n = std::min(buffer.size(), body_.size() - body_at_);
            std::memcpy(buffer.data(), body_.data() + body_at_, n);
            body_at_ += n;
        } else if (file_left_ > 0) {
            // One chunk per call, read as the channel takes it: a blob is never held whole.
            ssize_t got = ::read(file_, buffer.data(), std::min<std::uint64_t>(buffer.size(), file_left_));
            if (got <= 0) {
                // The cache file shrank or failed under us: the promised length cannot be
                // kept, so the connection ends and the runtime sees a short body.
                file_left_ = 0;
                close_file();
                closing_ = true;
                return 0;
            }
            n = static_cast<std::size_t>(got);
            file_left_ -= n;
            counters_.blob_bytes += n;
        }
        return n;
    }

    bool finished() const override {
        return answered() && (closing_ || (peer_eof_ && input_.find("\r\n\r\n") == std::string::npos));
    }

private:
    bool answered() const { return head_at_ == head_.size() && body_at_ == body_.size() && file_left_ == 0; }

    void close_file() {
        if (file_ >= 0) ::close(file_);
        file_ = -1;
    }

    void next_request() {
        if (!answered() || closing_) return;
        auto end = input_.find("\r\n\r\n");
        if (end == std::string::npos) {
            if (input_.size() > kMaxHead) refuse(431, "request head over 16 KiB");
            return;
        }
        if (end > kMaxHead) return refuse(431, "request head over 16 KiB");
        auto request = parse_head(std::string_view(input_).substr(0, end));
        input_.erase(0, end + 4);
        ++counters_.requests;
        if (!request) return refuse(400, "not an HTTP/1.x request");
        // A read-only registry takes no bodies; not reading one means the connection cannot go on.
        if (request->has_body) return refuse(405, "this registry is read-only");
        if (request->method != "GET" && request->method != "HEAD") return refuse(405, "this registry is read-only");
        if (!request->keep_alive) closing_ = true;
        answer(*request);
    }

    void refuse(int status, const std::string& detail) {
        input_.clear();
        respond(status, error_body(status == 405 ? "UNSUPPORTED" : "BAD_REQUEST", detail), "application/json", {}, true);
        closing_ = true;
    }

    static std::string error_body(std::string_view code, std::string_view message) {
        // The distribution API's error shape; messages are ours, never echo the request.
        return fmt::format(R"({{"errors":[{{"code":"{}","message":"{}"}}]}})", code, message) + "\n";
    }

    // `length`: the Content-Length when the body comes from a file instead of `body`.
    void respond(int status, std::string body, std::string_view type, std::string_view extra_headers, bool send_body,
                 std::optional<std::uint64_t> length = std::nullopt) {
        head_ = fmt::format("HTTP/1.1 {} {}\r\nContent-Length: {}\r\nContent-Type: {}\r\n"
                            "Docker-Distribution-API-Version: registry/2.0\r\n{}{}\r\n",
                            status, reason(status), length ? *length : body.size(), type, extra_headers,
                            closing_ ? "Connection: close\r\n" : "");
        head_at_ = 0;
        body_ = send_body ? std::move(body) : std::string();
        body_at_ = 0;
    }

    void not_found(const char* code, const char* message, bool head_only) {
        respond(404, error_body(code, message), "application/json", {}, !head_only);
    }

    void answer(const Request& r) {
        const bool head_only = r.method == "HEAD";
        if (r.path == "/v2/" || r.path == "/v2") return respond(200, "{}", "application/json", {}, !head_only);
        if (!r.path.starts_with("/v2/")) return not_found("NOT_FOUND", "not a registry path", head_only);
        std::string_view rest = std::string_view(r.path).substr(4);
        // /v2/<name>/(manifests|blobs)/<reference>: the name may hold slashes, so split from the end.
        auto last = rest.rfind('/');
        if (last == std::string_view::npos || last == 0) return not_found("NOT_FOUND", "not a registry path", head_only);
        std::string reference(rest.substr(last + 1));
        auto kind_at = rest.rfind('/', last - 1);
        if (kind_at == std::string_view::npos) return not_found("NOT_FOUND", "not a registry path", head_only);
        std::string repository(rest.substr(0, kind_at));
        std::string_view kind = rest.substr(kind_at + 1, last - kind_at - 1);
        if (kind == "manifests") return answer_manifest(repository, reference, head_only);
        if (kind == "blobs") return answer_blob(repository, reference, head_only);
        not_found("NOT_FOUND", "not a registry path", head_only);
    }

    void answer_manifest(const std::string& repository, const std::string& reference, bool head_only) {
        const RawManifest* m = images_.manifest(repository, reference);
        if (!m) return not_found("MANIFEST_UNKNOWN", "manifest unknown", head_only);
        respond(200, m->bytes, m->media_type, fmt::format("Docker-Content-Digest: {}\r\n", m->digest), !head_only);
    }

    void answer_blob(const std::string& repository, const std::string& digest, bool head_only) {
        // Only digests of the served images, so nothing else in the cache (or outside it) is reachable.
        if (!valid_digest(digest) || !images_.has_blob(repository, digest))
            return not_found("BLOB_UNKNOWN", "blob unknown to registry", head_only);
        const std::string digest_header = fmt::format("Docker-Content-Digest: {}\r\n", digest);
        if (const std::string* small = images_.small_blob(digest))
            return respond(200, *small, "application/octet-stream", digest_header, !head_only);
        int fd = ::open(cache_.path_of(digest).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        struct stat st {};
        if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            if (fd >= 0) ::close(fd);
            return not_found("BLOB_UNKNOWN", "blob not in the local cache", head_only);
        }
        respond(200, {}, "application/octet-stream", digest_header, false, static_cast<std::uint64_t>(st.st_size));
        if (head_only) {
            ::close(fd);
            return;
        }
        if (images_.is_layer(digest)) ++counters_.layer_gets;
        file_ = fd;
        file_left_ = static_cast<std::uint64_t>(st.st_size);
    }

    const ServedImages& images_;
    const BlobCache& cache_;
    ServeCounters& counters_;
    std::string input_;  // request bytes not parsed yet
    bool peer_eof_ = false;
    bool closing_ = false;  // no more requests on this connection
    std::string head_, body_;
    std::size_t head_at_ = 0, body_at_ = 0;
    int file_ = -1;
    std::uint64_t file_left_ = 0;
};

}  // namespace

void ServedImages::add(const std::string& repository, const std::string& tag, const ImageBundle& image) {
    manifests_[key(repository, tag)] = image.manifest;
    manifests_[key(repository, image.manifest.digest)] = image.manifest;
    blobs_[key(repository, image.parsed.config.digest)] = true;
    for (const auto& layer : image.parsed.layers) {
        blobs_[key(repository, layer.digest)] = true;
        layers_.insert(layer.digest);
    }
    if (!image.config.empty()) small_blobs_[image.parsed.config.digest] = image.config;
}

const RawManifest* ServedImages::manifest(const std::string& repository, const std::string& reference) const {
    auto it = manifests_.find(key(repository, reference));
    return it == manifests_.end() ? nullptr : &it->second;
}

bool ServedImages::has_blob(const std::string& repository, const std::string& digest) const {
    return blobs_.contains(key(repository, digest));
}

const std::string* ServedImages::small_blob(const std::string& digest) const {
    auto it = small_blobs_.find(digest);
    return it == small_blobs_.end() ? nullptr : &it->second;
}

std::unique_ptr<StreamHandler> make_registry_responder(const ServedImages& images, const BlobCache& cache,
                                                       ServeCounters& counters) {
    return std::make_unique<RegistryResponder>(images, cache, counters);
}

}  // namespace cc
