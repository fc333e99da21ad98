// The distribution API calls themselves: manifests, blobs, upload sessions, tags.
#include <sys/stat.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "registry/http_registry_client.hpp"
#include "registry/reference.hpp"

namespace cc {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxManifestBytes = 4 << 20;
// Blobs up to this size go in one PUT; larger ones in PATCH chunks of this size.
constexpr std::uint64_t kChunkBytes = 16ull << 20;
constexpr int kMaxTagPages = 1000;

std::string pull_scope(const std::string& repository) { return "repository:" + repository + ":pull"; }
std::string push_scope(const std::string& repository) { return "repository:" + repository + ":pull,push"; }

Result<HttpResponse> sent(std::expected<HttpResponse, HttpFailure> response) {
    if (!response) return std::unexpected(response.error().error);
    return std::move(*response);
}

std::string with_query(const std::string& url, const std::string& parameter) {
    return url + (url.find('?') == std::string::npos ? "?" : "&") + parameter;
}

// `<url>; rel="next"` from a Link header; "" when there is no next page.
std::string next_link(const std::string& link) {
    if (link.find("rel=\"next\"") == std::string::npos && link.find("rel=next") == std::string::npos) return {};
    auto open = link.find('<');
    auto close = link.find('>', open);
    if (open == std::string::npos || close == std::string::npos) return {};
    return link.substr(open + 1, close - open - 1);
}

}  // namespace

Result<void> HttpRegistryClient::ping() {
    HttpRequest request;
    request.url = url("/v2/");
    auto response = sent(send(request, "", {}));
    if (!response) return std::unexpected(response.error());
    if (response->status != 200) return std::unexpected(status_error(*response, "GET /v2/"));
    return {};
}

Result<RawManifest> HttpRegistryClient::get_manifest(const std::string& repository, const std::string& reference) {
    HttpRequest request;
    request.url = url("/v2/" + repository + "/manifests/" + reference);
    request.headers.push_back(fmt::format("Accept: {}, {}, {}, {}", media::oci_index, media::oci_manifest,
                                          media::docker_list, media::docker_manifest));
    request.max_body = kMaxManifestBytes;
    auto response = sent(send(request, pull_scope(repository), {}));
    if (!response) return std::unexpected(response.error());
    std::string what = fmt::format("manifest {}/{}:{}", registry_, repository, reference);
    if (response->status == 404) return fail(ErrorKind::not_found, fmt::format("{} not found", what));
    if (response->status != 200) return std::unexpected(status_error(*response, "manifest " + repository + ":" + reference));
    RawManifest manifest;
    manifest.bytes = std::move(response->body);
    manifest.digest = manifest_digest(manifest.bytes);
    std::string type = response->header("content-type").value_or("");
    manifest.media_type = type.substr(0, type.find(';'));
    while (!manifest.media_type.empty() && manifest.media_type.back() == ' ') manifest.media_type.pop_back();
    if (is_sha256_digest(reference) && manifest.digest != reference)
        return fail(ErrorKind::remote, fmt::format("{} arrived with digest {}", what, manifest.digest));
    if (auto claimed = response->header("docker-content-digest"); claimed && is_sha256_digest(*claimed) &&
                                                                   *claimed != manifest.digest)
        return fail(ErrorKind::remote, fmt::format("{}: the registry says digest {} but the bytes have {}", what,
                                                   *claimed, manifest.digest));
    return manifest;
}

Result<void> HttpRegistryClient::put_manifest(const std::string& repository, const std::string& reference,
                                              const RawManifest& manifest) {
    HttpRequest request;
    request.method = "PUT";
    request.url = url("/v2/" + repository + "/manifests/" + reference);
    request.headers.push_back("Content-Type: " + manifest.media_type);
    request.body = manifest.bytes;
    auto response = sent(send(request, push_scope(repository), {}));
    if (!response) return std::unexpected(response.error());
    if (response->status / 100 != 2)
        return std::unexpected(status_error(*response, "put manifest " + repository + ":" + reference));
    std::string digest = manifest_digest(manifest.bytes);
    if (auto stored = response->header("docker-content-digest"); stored && is_sha256_digest(*stored) && *stored != digest)
        return fail(ErrorKind::remote, fmt::format("registry {} stored manifest {} as {}", registry_, digest, *stored));
    return {};
}

Result<bool> HttpRegistryClient::has_blob(const std::string& repository, const std::string& digest) {
    HttpRequest request;
    request.method = "HEAD";
    request.url = url("/v2/" + repository + "/blobs/" + digest);
    auto response = sent(send(request, pull_scope(repository), following_redirects()));
    if (!response) return std::unexpected(response.error());
    if (response->status == 200) return true;
    if (response->status == 404) return false;
    return std::unexpected(status_error(*response, "HEAD blob " + digest));
}

Result<void> HttpRegistryClient::fetch_blob(const std::string& repository, const Descriptor& blob,
                                            const BlobCache& cache, const TransferProgress& progress) {
    if (!is_sha256_digest(blob.digest))
        return fail(ErrorKind::remote, fmt::format("invalid blob digest \"{}\"", blob.digest.substr(0, 80)));
    if (cache.has(blob.digest)) {
        cache.touch(blob.digest);
        return {};
    }
    std::unique_ptr<BlobWriter> writer;
    std::uint64_t received = 0;
    HttpRequest request;
    request.url = url("/v2/" + repository + "/blobs/" + blob.digest);
    request.sink = [&](std::string_view bytes) -> Result<void> {
        if (auto ok = writer->write(bytes); !ok) return ok;
        received += bytes.size();
        if (progress) progress(received);
        return {};
    };
    SendOptions how{.follow_redirects = true, .retry = true, .before_attempt = [&]() -> Result<void> {
                        // Each attempt starts a new temporary file; the last one's is removed here.
                        writer.reset();
                        received = 0;
                        auto started = cache.begin(blob.digest, blob.size);
                        if (!started) return std::unexpected(started.error());
                        writer = std::move(*started);
                        return {};
                    }};
    auto response = sent(send(request, pull_scope(repository), how));
    if (!response) return std::unexpected(response.error());
    if (response->status != 200) return std::unexpected(status_error(*response, "blob " + blob.digest));
    auto committed = writer->commit();
    if (!committed)
        return fail(committed.error().kind, fmt::format("registry {}: {}", registry_, committed.error().message));
    return {};
}

HttpRegistryClient::Sent HttpRegistryClient::upload_session(const std::string& repository, const Descriptor& blob,
                                                            const std::filesystem::path& file, std::uint64_t size,
                                                            const TransferProgress& progress,
                                                            const std::string& mount_from, const std::string& scope,
                                                            bool& mounted) {
    HttpRequest start;
    start.method = "POST";
    start.url = url("/v2/" + repository + "/blobs/uploads/");
    if (!mount_from.empty())
        start.url += "?mount=" + url_escape(blob.digest) + "&from=" + url_escape(mount_from);
    auto response = send(start, scope, single_attempt());
    if (!response) return response;
    if (response->status == 201 && !mount_from.empty()) {
        mounted = true;
        return response;
    }
    auto refuse = [&](const std::string& what) {
        // A 5xx inside a session is worth a new session; anything else is final.
        return std::unexpected(HttpFailure{status_error(*response, what), response->status >= 500 || response->status == 429});
    };
    if (response->status != 202) return refuse("start upload of " + blob.digest);
    std::string location = resolve_url(start.url, response->header("location").value_or(""));
    if (location.empty()) return refuse("upload without a Location");

    std::uint64_t offset = 0;
    if (size > kChunkBytes) {
        for (; offset < size;) {
            std::uint64_t length = std::min(kChunkBytes, size - offset);
            HttpRequest chunk;
            chunk.method = "PATCH";
            chunk.url = location;
            chunk.headers = {"Content-Type: application/octet-stream",
                             fmt::format("Content-Range: {}-{}", offset, offset + length - 1)};
            chunk.body_file = file;
            chunk.body_offset = offset;
            chunk.body_length = length;
            std::uint64_t base = offset;
            chunk.progress = [&, base](std::uint64_t bytes) {
                if (progress) progress(base + bytes);
            };
            response = send(chunk, scope, single_attempt());
            if (!response) return response;
            if (response->status != 202) return refuse("upload chunk of " + blob.digest);
            location = resolve_url(location, response->header("location").value_or(""));
            if (location.empty()) return refuse("upload chunk without a Location");
            offset += length;
        }
    }
    HttpRequest finish;
    finish.method = "PUT";
    finish.url = with_query(location, "digest=" + url_escape(blob.digest));
    finish.headers = {"Content-Type: application/octet-stream"};
    finish.body_file = file;
    finish.body_offset = offset;
    finish.body_length = size - offset;
    finish.progress = [&, offset](std::uint64_t bytes) {
        if (progress) progress(offset + bytes);
    };
    response = send(finish, scope, single_attempt());
    if (!response) return response;
    if (response->status != 201) return refuse("finish upload of " + blob.digest);
    return response;
}

Result<std::uint64_t> HttpRegistryClient::upload_blob(const std::string& repository, const Descriptor& blob,
                                                      const std::filesystem::path& file,
                                                      const TransferProgress& progress, const std::string& mount_from) {
    auto present = has_blob(repository, blob.digest);
    if (!present) return std::unexpected(present.error());
    if (*present) return std::uint64_t{0};
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        return fail(ErrorKind::io, fmt::format("cannot read blob file \"{}\"", file.string()));
    auto size = static_cast<std::uint64_t>(st.st_size);
    if (blob.size != 0 && size != blob.size)
        return fail(ErrorKind::io, fmt::format("blob file \"{}\" has {} bytes, its descriptor {}", file.string(), size, blob.size));
    std::string scope = push_scope(repository);
    if (!mount_from.empty()) scope += " " + pull_scope(mount_from);
    for (int attempt = 0;; ++attempt) {
        bool mounted = false;
        auto response = upload_session(repository, blob, file, size, progress, mount_from, scope, mounted);
        if (response) return mounted ? std::uint64_t{0} : size;
        if (!response.error().retryable || attempt >= options_.retries) return std::unexpected(response.error().error);
        // The whole session again: a registry forgets a session whose PATCH or PUT failed.
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min(500 << attempt, 8000)));
    }
}

Result<std::vector<std::string>> HttpRegistryClient::list_tags(const std::string& repository) {
    std::vector<std::string> tags;
    std::string next = url("/v2/" + repository + "/tags/list?n=1000");
    for (int page = 0; !next.empty(); ++page) {
        if (page >= kMaxTagPages) return fail(ErrorKind::remote, fmt::format("registry {}: more than {} pages of tags", registry_, kMaxTagPages));
        HttpRequest request;
        request.url = next;
        request.max_body = kMaxManifestBytes;
        auto response = sent(send(request, pull_scope(repository), {}));
        if (!response) return std::unexpected(response.error());
        if (response->status == 404)
            return fail(ErrorKind::not_found, fmt::format("repository {}/{} not found", registry_, repository));
        if (response->status != 200) return std::unexpected(status_error(*response, "tags of " + repository));
        json doc = json::parse(response->body, nullptr, false);
        if (!doc.is_object()) return fail(ErrorKind::remote, fmt::format("registry {}: tag list is not JSON", registry_));
        if (auto list = doc.find("tags"); list != doc.end() && list->is_array())
            for (const auto& tag : *list)
                if (tag.is_string()) tags.push_back(tag.get<std::string>());
        std::string link = next_link(response->header("link").value_or(""));
        next = link.empty() ? std::string() : resolve_url(next, link);
        // A Link to another host would carry our token away.
        if (!next.empty() && url_origin(next) != origin_)
            return fail(ErrorKind::remote, fmt::format("registry {}: tag list links to another host", registry_));
    }
    return tags;
}

}  // namespace cc
