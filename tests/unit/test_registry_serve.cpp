// The read-only registry a node's runtime pulls from during `image push`: bytes
// in, bytes out, no network.
#include <doctest/doctest.h>

#include <array>
#include <vector>

#include <fmt/format.h>

#include "core/sha256.hpp"
#include "registry/serve.hpp"
#include "temp_dir.hpp"

using namespace cc;

namespace {

std::string digest_of(std::string_view bytes) { return "sha256:" + sha256_hex(bytes); }

// A served image whose one layer is in a real cache and whose config comes with the bundle.
struct Served {
    TempDir dir;
    BlobCache cache = BlobCache::open(dir.path / "blobs").value();
    ServedImages images;
    ServeCounters counters;
    std::string layer = std::string(300'000, 'L');
    std::string config = R"({"architecture":"amd64","os":"linux"})";
    ImageBundle bundle;

    Served() {
        REQUIRE(cache.put(digest_of(layer), layer));
        bundle.name = "team/app:1";
        bundle.config = config;
        bundle.parsed.media_type = std::string(media::oci_manifest);
        bundle.parsed.config = {std::string(media::oci_config), digest_of(config), config.size(), std::nullopt};
        bundle.parsed.layers = {{std::string(media::oci_layer_gzip), digest_of(layer), layer.size(), std::nullopt}};
        bundle.manifest.media_type = std::string(media::oci_manifest);
        bundle.manifest.bytes = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"})";
        bundle.manifest.digest = digest_of(bundle.manifest.bytes);
        images.add("team/app", "1", bundle);
    }
};

// Everything the responder says until it has nothing more, taken in small
// pieces as a full channel window would take them.
std::string drain(StreamHandler& h, std::size_t piece = 1000) {
    std::string out;
    std::array<char, 65536> buffer{};
    for (;;) {
        auto n = h.next_output(std::span<char>(buffer.data(), piece));
        if (n == 0) break;
        out.append(buffer.data(), n);
    }
    return out;
}

std::string ask(Served& s, const std::string& request) {
    auto h = make_registry_responder(s.images, s.cache, s.counters);
    h->received(request, false);
    return drain(*h);
}

std::string status_line(const std::string& response) { return response.substr(0, response.find("\r\n")); }

std::string body_of(const std::string& response) { return response.substr(response.find("\r\n\r\n") + 4); }

}  // namespace

TEST_CASE("the API root answers 200 with the distribution version header") {
    Served s;
    auto r = ask(s, "GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1:4000\r\n\r\n");
    CHECK(status_line(r) == "HTTP/1.1 200 OK");
    CHECK(r.find("Docker-Distribution-API-Version: registry/2.0\r\n") != std::string::npos);
}

TEST_CASE("a manifest by tag and by digest comes with its media type and digest") {
    Served s;
    for (const std::string& ref : {std::string("1"), s.bundle.manifest.digest}) {
        auto r = ask(s, "GET /v2/team/app/manifests/" + ref + " HTTP/1.1\r\nAccept: */*\r\n\r\n");
        CHECK(status_line(r) == "HTTP/1.1 200 OK");
        CHECK(r.find("Content-Type: application/vnd.oci.image.manifest.v1+json\r\n") != std::string::npos);
        CHECK(r.find("Docker-Content-Digest: " + s.bundle.manifest.digest + "\r\n") != std::string::npos);
        CHECK(body_of(r) == s.bundle.manifest.bytes);
    }
}

TEST_CASE("HEAD of a manifest gives its length and no body") {
    Served s;
    auto r = ask(s, "HEAD /v2/team/app/manifests/1 HTTP/1.1\r\n\r\n");
    CHECK(status_line(r) == "HTTP/1.1 200 OK");
    CHECK(r.find(fmt::format("Content-Length: {}\r\n", s.bundle.manifest.bytes.size())) != std::string::npos);
    CHECK(body_of(r).empty());
}

TEST_CASE("a layer streams from the cache in the pieces the channel takes, counted") {
    Served s;
    auto h = make_registry_responder(s.images, s.cache, s.counters);
    h->received("GET /v2/team/app/blobs/" + digest_of(s.layer) + " HTTP/1.1\r\n\r\n", false);
    std::array<char, 4096> piece{};
    auto first = h->next_output(piece);
    std::string head(piece.data(), first);
    CHECK(head.find(fmt::format("Content-Length: {}\r\n", s.layer.size())) != std::string::npos);
    // Only what was asked for has been read from the file so far.
    CHECK(s.counters.blob_bytes.load() == 0);
    auto rest = drain(*h, 4096);
    CHECK(rest == s.layer);
    CHECK(s.counters.blob_bytes.load() == s.layer.size());
    CHECK(s.counters.requests.load() == 1);
}

TEST_CASE("the config blob is served from the bundle") {
    Served s;
    auto r = ask(s, "GET /v2/team/app/blobs/" + digest_of(s.config) + " HTTP/1.1\r\n\r\n");
    CHECK(status_line(r) == "HTTP/1.1 200 OK");
    CHECK(body_of(r) == s.config);
}

TEST_CASE("keep-alive answers several requests on one connection in order, and finishes at the peer's EOF") {
    Served s;
    auto h = make_registry_responder(s.images, s.cache, s.counters);
    h->received("GET /v2/ HTTP/1.1\r\n\r\nGET /v2/team/app/manifests/1 HTTP/1.1\r\n\r\n", false);
    auto both = drain(*h);
    CHECK(both.find("HTTP/1.1 200 OK") == 0);
    CHECK(both.find(s.bundle.manifest.bytes) != std::string::npos);
    CHECK_FALSE(h->finished());
    h->received({}, true);
    CHECK(h->finished());
}

TEST_CASE("an unknown manifest, blob or repository is a 404 with the registry's error body") {
    Served s;
    auto manifest = ask(s, "GET /v2/team/app/manifests/2 HTTP/1.1\r\n\r\n");
    CHECK(status_line(manifest) == "HTTP/1.1 404 Not Found");
    CHECK(body_of(manifest).find(R"("code":"MANIFEST_UNKNOWN")") != std::string::npos);
    auto other_repo = ask(s, "GET /v2/team/other/blobs/" + digest_of(s.layer) + " HTTP/1.1\r\n\r\n");
    CHECK(status_line(other_repo) == "HTTP/1.1 404 Not Found");
    CHECK(body_of(other_repo).find(R"("code":"BLOB_UNKNOWN")") != std::string::npos);
}

TEST_CASE("a blob in the cache but not in a served image is not served") {
    Served s;
    std::string secret = "not for nodes";
    REQUIRE(s.cache.put(digest_of(secret), secret));
    auto r = ask(s, "GET /v2/team/app/blobs/" + digest_of(secret) + " HTTP/1.1\r\n\r\n");
    CHECK(status_line(r) == "HTTP/1.1 404 Not Found");
}

TEST_CASE("a digest that is not sha256 and 64 hex digits reaches no file") {
    Served s;
    s.dir.write("secret", "outside the cache");  // where blobs/sha256/../../secret would lead
    s.dir.write("blobs/sha256/" + std::string(64, 'G'), "outside the cache");  // a file no digest names
    for (const std::string& bad : std::vector<std::string>{"sha256:../../secret", "sha256:" + std::string(64, 'G'),
                                                           "md5:abc", "sha256:" + sha256_hex(s.layer) + "/"}) {
        auto r = ask(s, "GET /v2/team/app/blobs/" + bad + " HTTP/1.1\r\n\r\n");
        CHECK_MESSAGE(status_line(r) == "HTTP/1.1 404 Not Found", bad);
        CHECK(r.find("outside the cache") == std::string::npos);
    }
}

TEST_CASE("a request head over 16 KiB is refused with 431 and the connection ends") {
    Served s;
    auto h = make_registry_responder(s.images, s.cache, s.counters);
    h->received("GET /v2/ HTTP/1.1\r\nX-Pad: " + std::string(17 * 1024, 'a'), false);
    auto r = drain(*h);
    CHECK(status_line(r) == "HTTP/1.1 431 Request Header Fields Too Large");
    CHECK(h->finished());
}

TEST_CASE("a request that is not HTTP is refused with 400 and the connection ends") {
    Served s;
    auto h = make_registry_responder(s.images, s.cache, s.counters);
    h->received("HELLO\r\n\r\n", false);
    CHECK(status_line(drain(*h)) == "HTTP/1.1 400 Bad Request");
    CHECK(h->finished());
}

TEST_CASE("writes are refused: this registry is read-only") {
    Served s;
    auto h = make_registry_responder(s.images, s.cache, s.counters);
    h->received("PUT /v2/team/app/manifests/1 HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", false);
    auto r = drain(*h);
    CHECK(status_line(r) == "HTTP/1.1 405 Method Not Allowed");
    CHECK(body_of(r).find(R"("code":"UNSUPPORTED")") != std::string::npos);
    CHECK(h->finished());
}

TEST_CASE("Connection: close ends the connection after the answer") {
    Served s;
    auto h = make_registry_responder(s.images, s.cache, s.counters);
    h->received("GET /v2/ HTTP/1.1\r\nConnection: close\r\n\r\nGET /v2/ HTTP/1.1\r\n\r\n", false);
    auto r = drain(*h);
    CHECK(r.find("Connection: close\r\n") != std::string::npos);
    CHECK(r.find("HTTP/1.1", 1) == std::string::npos);  // the second request is not answered
    CHECK(h->finished());
}

TEST_CASE("a TLS handshake is closed at once without an answer, so the runtime falls back to plain HTTP") {
    Served s;
    auto h = make_registry_responder(s.images, s.cache, s.counters);
    h->received(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11), false);
    CHECK(drain(*h).empty());
    CHECK(h->finished());
}
