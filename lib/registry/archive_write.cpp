// write_archive: one image as a docker-archive or an oci-archive, streamed from
// the blob cache into a temporary file that is renamed into place when whole.
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/sha256.hpp"
#include "registry/archive.hpp"
#include "registry/archive_file.hpp"
#include "registry/tar.hpp"

namespace cc {

namespace {

std::string hex_of(const std::string& digest) { return digest.substr(digest.find(':') + 1); }

// A cached blob into the archive, hashed on the way: a damaged cache file must not
// become a damaged archive.
Result<void> copy_blob(TarWriter& tar, const std::string& name, const Descriptor& blob, const BlobCache& cache) {
    auto path = cache.path_of(blob.digest);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return fail(ErrorKind::io, fmt::format("blob {} is not in the cache: {}", blob.digest, std::strerror(errno)));
    FdCloser closer{fd};
    if (auto r = tar.begin_file(name, blob.size); !r) return r;
    Sha256 hash;
    std::string buffer(1 << 20, '\0');
    std::uint64_t total = 0;
    while (true) {
        auto n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail(ErrorKind::io, fmt::format("reading {}: {}", path.string(), std::strerror(errno)));
        if (n == 0) break;
        total += static_cast<std::uint64_t>(n);
        if (total > blob.size) break;
        std::string_view chunk(buffer.data(), static_cast<std::size_t>(n));
        hash.update(chunk);
        if (auto r = tar.write_data(chunk); !r) return r;
    }
    if (total != blob.size || "sha256:" + hash.hex_digest() != blob.digest)
        return fail(ErrorKind::io, fmt::format("cached blob {} is damaged (size or digest differs); "
                                               "`clusterctl image cache prune` and fetch again", blob.digest));
    return tar.end_file();
}

Result<void> write_docker(TarWriter& tar, const ImageBundle& image, const BlobCache& cache) {
    nlohmann::json entry;
    entry["Config"] = hex_of(image.parsed.config.digest) + ".json";
    // docker load refuses a digest in RepoTags: an image named by digest loads untagged
    entry["RepoTags"] = nlohmann::json::array();
    if (!image.name.empty() && image.name.find('@') == std::string::npos) entry["RepoTags"].push_back(image.name);
    entry["Layers"] = nlohmann::json::array();
    for (const auto& layer : image.parsed.layers) entry["Layers"].push_back(hex_of(layer.digest) + ".tar");
    if (auto r = tar.add_file("manifest.json", nlohmann::json::array({entry}).dump()); !r) return r;
    if (auto r = tar.add_file(entry["Config"].get<std::string>(), image.config); !r) return r;
    for (const auto& layer : image.parsed.layers)
        if (auto r = copy_blob(tar, hex_of(layer.digest) + ".tar", layer, cache); !r) return r;
    return {};
}

Result<void> write_oci(TarWriter& tar, const ImageBundle& image, const BlobCache& cache) {
    nlohmann::json descriptor{{"mediaType", image.manifest.media_type},
                              {"digest", image.manifest.digest},
                              {"size", image.manifest.bytes.size()}};
    if (!image.name.empty())
        descriptor["annotations"] = {{"org.opencontainers.image.ref.name", image.name},
                                     {"io.containerd.image.name", image.name}};
    nlohmann::json index{{"schemaVersion", 2},
                         {"mediaType", media::oci_index},
                         {"manifests", nlohmann::json::array({descriptor})}};
    if (auto r = tar.add_file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"); !r) return r;
    if (auto r = tar.add_file("index.json", index.dump()); !r) return r;
    if (auto r = tar.add_directory("blobs"); !r) return r;
    if (auto r = tar.add_directory("blobs/sha256"); !r) return r;
    auto blob_name = [](const std::string& digest) { return "blobs/sha256/" + hex_of(digest); };
    if (auto r = tar.add_file(blob_name(image.manifest.digest), image.manifest.bytes); !r) return r;
    if (auto r = tar.add_file(blob_name(image.parsed.config.digest), image.config); !r) return r;
    for (const auto& layer : image.parsed.layers)
        if (auto r = copy_blob(tar, blob_name(layer.digest), layer, cache); !r) return r;
    return {};
}

}  // namespace

Result<void> write_archive(const std::filesystem::path& out, ArchiveFormat format, const ImageBundle& image,
                           const BlobCache& cache) {
    if ("sha256:" + sha256_hex(image.manifest.bytes) != image.manifest.digest)
        return fail(ErrorKind::invalid_input, fmt::format("manifest bytes do not match {}", image.manifest.digest));
    if ("sha256:" + sha256_hex(image.config) != image.parsed.config.digest)
        return fail(ErrorKind::invalid_input, fmt::format("config bytes do not match {}", image.parsed.config.digest));
    auto file = TempOutput::create(out);
    if (!file) return std::unexpected(file.error());
    TarWriter tar([&](std::string_view bytes) { return file->write(bytes); });
    auto written = format == ArchiveFormat::docker ? write_docker(tar, image, cache) : write_oci(tar, image, cache);
    if (!written) return written;
    if (auto r = tar.finish(); !r) return r;
    return file->commit();
}

}  // namespace cc
