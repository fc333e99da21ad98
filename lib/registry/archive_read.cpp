// read_archive: a docker-archive or oci-archive (ours, podman's, docker's) read in
// one pass; every blob goes into the cache verified, the image is then assembled
// from the small metadata files (manifest.json or index.json).
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <vector>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/sha256.hpp"
#include "registry/archive.hpp"
#include "registry/archive_file.hpp"
#include "registry/tar.hpp"

namespace cc {

namespace {

constexpr std::size_t kMaxMetadata = 4 << 20;  // manifest.json, index.json, a config
constexpr std::size_t kMaxEntries = 100'000;

constexpr std::size_t kMaxHeldSmall = 64 * 1024;  // docker's <id>/json, VERSION: held, cached only if used
constexpr std::size_t kMaxHeldTotal = 16 << 20;

struct StoredFile {
    std::string digest;  // "sha256:…" of its bytes, in the cache unless `held`
    std::uint64_t size = 0;
    bool gzip = false;
    std::optional<std::string> held;  // a small file not yet in the cache
};

bool is_hex64(std::string_view s) {
    return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// The digest a name promises: blobs/sha256/<hex>, or podman's docker-archive <hex>.tar / <hex>.json.
std::string digest_named_by(std::string_view name) {
    if (name.starts_with("blobs/sha256/") && is_hex64(name.substr(13))) return fmt::format("sha256:{}", name.substr(13));
    auto dot = name.rfind('.');
    if (name.find('/') == std::string_view::npos && dot == 64 && is_hex64(name.substr(0, 64)) &&
        (name.substr(dot) == ".tar" || name.substr(dot) == ".json"))
        return fmt::format("sha256:{}", name.substr(0, 64));
    return {};
}

bool is_metadata(std::string_view name) {
    return name == "manifest.json" || name == "index.json" || name == "oci-layout" || name == "repositories";
}

class ArchiveScan {
public:
    ArchiveScan(const BlobCache& cache, int fd, std::string file)
        : cache_(cache), fd_(fd), file_(std::move(file)),
          tar_([this](char* buffer, std::size_t size) -> Result<std::size_t> {
              while (true) {
                  auto n = ::read(fd_, buffer, size);
                  if (n < 0 && errno == EINTR) continue;
                  if (n < 0) return fail(ErrorKind::io, fmt::format("reading \"{}\": {}", file_, std::strerror(errno)));
                  return static_cast<std::size_t>(n);
              }
          }) {}

    Result<void> run() {
        for (std::size_t count = 0;; ++count) {
            if (count > kMaxEntries) return fail(ErrorKind::invalid_input, fmt::format("\"{}\": too many entries", file_));
            auto entry = tar_.next();
            if (!entry) return std::unexpected(entry.error());
            if (!*entry) return {};
            const auto& e = **entry;
            if (e.type == TarEntry::Type::symlink || e.type == TarEntry::Type::hardlink) {
                // docker save (25+) links <id>/layer.tar to ../blobs/sha256/<hex>: kept as
                // names inside the archive, never followed on disk
                std::string base = e.type == TarEntry::Type::symlink && e.name.find('/') != std::string::npos
                                       ? e.name.substr(0, e.name.rfind('/') + 1) : std::string();
                auto target = resolve(base, e.link);
                if (!target) return fail(ErrorKind::invalid_input, fmt::format("\"{}\": link {} -> {} leaves the archive", file_, e.name, e.link));
                links_[e.name] = *target;
                continue;
            }
            if (e.type != TarEntry::Type::file) continue;
            if (digest_named_by(e.name).empty() && e.size <= kMaxHeldSmall && held_total_ + e.size <= kMaxHeldTotal) {
                auto text = read_small(e);
                if (!text) return std::unexpected(text.error());
                held_total_ += text->size();
                StoredFile held{"sha256:" + sha256_hex(*text), text->size(),
                                text->size() >= 2 && (*text)[0] == '\x1f' && (*text)[1] == '\x8b', std::move(*text)};
                if (is_metadata(e.name)) metadata_[e.name] = *held.held;
                files_[e.name] = std::move(held);
                continue;
            }
            if (is_metadata(e.name)) {
                auto text = read_small(e);
                if (!text) return std::unexpected(text.error());
                metadata_[e.name] = std::move(*text);
                continue;
            }
            auto stored = store(e);
            if (!stored) return std::unexpected(stored.error());
            files_[e.name] = *stored;
        }
    }

    // A name as the archive's metadata uses it, through links, to what was stored;
    // a held small file goes into the cache now that it is used.
    Result<const StoredFile*> use(const std::string& name) {
        auto* found = const_cast<StoredFile*>(find(name));
        if (!found || !found->held) return found;
        if (auto r = cache_.put(found->digest, *found->held); !r) return std::unexpected(r.error());
        found->held.reset();
        return found;
    }

    const StoredFile* find(std::string name) const {
        for (int hops = 0; hops < 8; ++hops) {
            auto norm = normalise_tar_name(name);
            if (!norm) return nullptr;
            if (auto it = files_.find(*norm); it != files_.end()) return &it->second;
            auto link = links_.find(*norm);
            if (link == links_.end()) return nullptr;
            name = link->second;
        }
        return nullptr;
    }
    const std::string* metadata(const std::string& name) const {
        auto it = metadata_.find(name);
        return it == metadata_.end() ? nullptr : &it->second;
    }

private:
    // A link target, relative to the link's directory, as a name inside the archive;
    // nullopt when it is absolute or climbs above the archive's root.
    static std::optional<std::string> resolve(const std::string& base, const std::string& target) {
        if (target.starts_with("/")) return std::nullopt;
        std::vector<std::string> parts;
        std::string joined = base + target;
        std::string_view rest = joined;
        while (!rest.empty()) {
            auto slash = rest.find('/');
            std::string part(rest.substr(0, slash));
            rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
            if (part.empty() || part == ".") continue;
            if (part == "..") {
                if (parts.empty()) return std::nullopt;
                parts.pop_back();
            } else {
                parts.push_back(std::move(part));
            }
        }
        if (parts.empty()) return std::nullopt;
        std::string out;
        for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
        return out;
    }

    Result<std::string> read_small(const TarEntry& e) {
        if (e.size > kMaxMetadata)
            return fail(ErrorKind::invalid_input, fmt::format("\"{}\": {} is {} bytes (at most {})", file_, e.name, e.size, kMaxMetadata));
        std::string text(static_cast<std::size_t>(e.size), '\0');
        std::size_t got = 0;
        while (got < text.size()) {
            auto n = tar_.read_data(text.data() + got, text.size() - got);
            if (!n) return std::unexpected(n.error());
            got += *n;
        }
        return text;
    }

    // The size of a cached blob, or nullopt when the cache does not hold it.
    std::optional<std::uint64_t> cached_size(const std::string& digest) const {
        if (!cache_.has(digest)) return std::nullopt;
        std::error_code ec;
        auto size = std::filesystem::file_size(cache_.path_of(digest), ec);
        if (ec) return std::nullopt;
        return size;
    }
    bool cached_gzip(const std::string& digest) const {
        char magic[2] = {};
        std::ifstream in(cache_.path_of(digest), std::ios::binary);
        return in.read(magic, 2) && magic[0] == '\x1f' && magic[1] == '\x8b';
    }

    // Streams one entry into `sink`, hashing; returns its digest.
    template <class Sink>
    Result<StoredFile> stream(const TarEntry& e, Sink&& sink) {
        Sha256 hash;
        StoredFile stored;
        stored.size = e.size;
        bool first = true;
        while (true) {
            auto n = tar_.read_data(buffer_.data(), buffer_.size());
            if (!n) return std::unexpected(n.error());
            if (*n == 0) break;
            std::string_view chunk(buffer_.data(), *n);
            if (first) stored.gzip = chunk.size() >= 2 && chunk[0] == '\x1f' && chunk[1] == '\x8b';
            first = false;
            hash.update(chunk);
            if (auto r = sink(chunk); !r) return std::unexpected(r.error());
        }
        stored.digest = "sha256:" + hash.hex_digest();
        return stored;
    }

    Result<StoredFile> store(const TarEntry& e) {
        auto promised = digest_named_by(e.name);
        if (!promised.empty() && cached_size(promised) == e.size) {
            // Already in the cache, verified when it went in: what this entry holds is
            // never read (next() passes over it), so a re-push of an image whose layers
            // mostly did not change hashes and writes only the new ones. Whatever the
            // entry's bytes are, the blob used under this digest is the verified one.
            cache_.touch(promised);
            return StoredFile{promised, e.size, cached_gzip(promised), std::nullopt};
        }
        if (!promised.empty()) {
            auto writer = cache_.begin(promised, e.size);
            if (!writer) return std::unexpected(writer.error());
            auto stored = stream(e, [&](std::string_view chunk) { return (*writer)->write(chunk); });
            if (!stored) return stored;
            if (stored->digest != promised)
                return fail(ErrorKind::invalid_input, fmt::format("\"{}\": {} does not match its digest (it is {})", file_, e.name, stored->digest));
            if (auto r = (*writer)->commit(); !r) return std::unexpected(r.error());
            return stored;
        }
        // A name that promises nothing (docker's <id>/layer.tar): hashed into a
        // temporary file first, then into the cache under the digest it turned out to have.
        auto temp = TempOutput::create(cache_.dir() / "archive-entry");  // removed when it goes out of scope
        if (!temp) return std::unexpected(temp.error());
        auto stored = stream(e, [&](std::string_view chunk) { return temp->write(chunk); });
        if (!stored) return stored;
        if (auto r = temp->flush(); !r) return std::unexpected(r.error());
        const auto& temp_path = temp->temp_path();
        if (cache_.has(stored->digest)) return stored;
        auto writer = cache_.begin(stored->digest, stored->size);
        if (!writer) return std::unexpected(writer.error());
        auto fd = open_archive_input(temp_path);
        if (!fd) return std::unexpected(fd.error());
        FdCloser closer{*fd};
        while (true) {
            auto n = ::read(*fd, buffer_.data(), buffer_.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return fail(ErrorKind::io, fmt::format("reading \"{}\": {}", temp_path.string(), std::strerror(errno)));
            if (n == 0) break;
            if (auto r = (*writer)->write(std::string_view(buffer_.data(), static_cast<std::size_t>(n))); !r)
                return std::unexpected(r.error());
        }
        if (auto r = (*writer)->commit(); !r) return std::unexpected(r.error());
        return stored;
    }

    const BlobCache& cache_;
    int fd_;
    std::string file_;
    TarReader tar_;
    std::string buffer_ = std::string(1 << 20, '\0');
    std::map<std::string, StoredFile> files_;
    std::map<std::string, std::string> links_;
    std::map<std::string, std::string> metadata_;
    std::size_t held_total_ = 0;
};

Result<nlohmann::json> parse_json(const std::string& text, const std::string& what) {
    auto json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_discarded()) return fail(ErrorKind::invalid_input, fmt::format("{} is not valid JSON", what));
    return json;
}

std::string string_at(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Fills config and checks every blob the manifest names is in the cache.
Result<void> complete(ImageBundle& image, const BlobCache& cache, const std::string& file) {
    auto parsed = parse_manifest(image.manifest);
    if (!parsed) return std::unexpected(parsed.error());
    if (!std::holds_alternative<ImageManifest>(*parsed))
        return fail(ErrorKind::invalid_input, fmt::format("\"{}\": the archive's manifest is an index", file));
    image.parsed = std::get<ImageManifest>(*parsed);
    for (const auto& layer : image.parsed.layers)
        if (!cache.has(layer.digest))
            return fail(ErrorKind::invalid_input, fmt::format("\"{}\": layer {} is missing from the archive", file, layer.digest));
    auto config = cache.read_small(image.parsed.config.digest);
    if (!config) return fail(ErrorKind::invalid_input, fmt::format("\"{}\": config {} is missing from the archive", file, image.parsed.config.digest));
    image.config = std::move(*config);
    return {};
}

Result<ImageBundle> from_oci(ArchiveScan& scan, const std::string& index_text, const BlobCache& cache,
                             const std::string& file) {
    auto index = parse_json(index_text, fmt::format("\"{}\": index.json", file));
    if (!index) return std::unexpected(index.error());
    auto manifests = index->find("manifests");
    if (manifests == index->end() || !manifests->is_array() || manifests->empty() || !(*manifests)[0].is_object())
        return fail(ErrorKind::invalid_input, fmt::format("\"{}\": index.json lists no image", file));
    const auto& first = (*manifests)[0];
    ImageBundle image;
    image.manifest.digest = string_at(first, "digest");
    image.manifest.media_type = string_at(first, "mediaType");
    if (auto a = first.find("annotations"); a != first.end() && a->is_object()) {
        image.name = string_at(*a, "io.containerd.image.name");
        if (image.name.empty()) image.name = string_at(*a, "org.opencontainers.image.ref.name");
    }
    const StoredFile* stored = scan.find("blobs/sha256/" + image.manifest.digest.substr(image.manifest.digest.find(':') + 1));
    if (!image.manifest.digest.starts_with("sha256:") || !stored || stored->digest != image.manifest.digest)
        return fail(ErrorKind::invalid_input, fmt::format("\"{}\": manifest {} is missing from the archive", file, image.manifest.digest));
    auto bytes = cache.read_small(image.manifest.digest);
    if (!bytes) return std::unexpected(bytes.error());
    image.manifest.bytes = std::move(*bytes);
    if (auto r = complete(image, cache, file); !r) return std::unexpected(r.error());
    return image;
}

Result<ImageBundle> from_docker(ArchiveScan& scan, const std::string& manifest_text, const BlobCache& cache,
                                const std::string& file) {
    auto list = parse_json(manifest_text, fmt::format("\"{}\": manifest.json", file));
    if (!list) return std::unexpected(list.error());
    if (!list->is_array() || list->empty() || !(*list)[0].is_object())
        return fail(ErrorKind::invalid_input, fmt::format("\"{}\": manifest.json lists no image", file));
    const auto& entry = (*list)[0];
    ImageBundle image;
    if (auto tags = entry.find("RepoTags"); tags != entry.end() && tags->is_array() && !tags->empty() && (*tags)[0].is_string())
        image.name = (*tags)[0].get<std::string>();
    auto used = scan.use(string_at(entry, "Config"));
    if (!used) return std::unexpected(used.error());
    const StoredFile* config = *used;
    if (!config) return fail(ErrorKind::invalid_input, fmt::format("\"{}\": the config file named in manifest.json is missing", file));
    nlohmann::json manifest{{"schemaVersion", 2}, {"mediaType", media::oci_manifest}};
    manifest["config"] = {{"mediaType", media::oci_config}, {"digest", config->digest}, {"size", config->size}};
    manifest["layers"] = nlohmann::json::array();
    auto layers = entry.find("Layers");
    if (layers == entry.end() || !layers->is_array())
        return fail(ErrorKind::invalid_input, fmt::format("\"{}\": manifest.json has no Layers", file));
    for (const auto& name : *layers) {
        auto layer_used = name.is_string() ? scan.use(name.get<std::string>()) : Result<const StoredFile*>(nullptr);
        if (!layer_used) return std::unexpected(layer_used.error());
        const StoredFile* layer = *layer_used;
        if (!layer) return fail(ErrorKind::invalid_input, fmt::format("\"{}\": a layer named in manifest.json is missing", file));
        manifest["layers"].push_back({{"mediaType", layer->gzip ? media::oci_layer_gzip : media::oci_layer},
                                      {"digest", layer->digest}, {"size", layer->size}});
    }
    image.manifest.media_type = media::oci_manifest;
    image.manifest.bytes = manifest.dump();
    image.manifest.digest = "sha256:" + sha256_hex(image.manifest.bytes);
    if (auto r = cache.put(image.manifest.digest, image.manifest.bytes); !r) return std::unexpected(r.error());
    if (auto r = complete(image, cache, file); !r) return std::unexpected(r.error());
    return image;
}

}  // namespace

Result<ImageBundle> read_archive(const std::filesystem::path& file, const BlobCache& cache) {
    auto fd = open_archive_input(file);
    if (!fd) return std::unexpected(fd.error());
    FdCloser closer{*fd};
    ArchiveScan scan(cache, *fd, file.string());
    if (auto r = scan.run(); !r) return fail(r.error().kind, r.error().message.starts_with("tar:")
                                                              ? fmt::format("\"{}\": {}", file.string(), r.error().message)
                                                              : r.error().message);
    // docker save (25+) writes both; the OCI index keeps the manifest's own bytes and digest
    if (const auto* index = scan.metadata("index.json"); index && scan.metadata("oci-layout"))
        return from_oci(scan, *index, cache, file.string());
    if (const auto* manifest = scan.metadata("manifest.json")) return from_docker(scan, *manifest, cache, file.string());
    return fail(ErrorKind::invalid_input,
                fmt::format("\"{}\" is neither a docker-archive (no manifest.json) nor an oci-archive (no index.json)", file.string()));
}

}  // namespace cc
