// Image archives that `podman load` and `docker load` accept, read and written
// as streams of tar (no temporary unpacked tree): docker-archive (manifest.json,
// config, layer tars) and oci-archive (oci-layout, index.json, blobs/sha256/…).
#pragma once
#include <filesystem>
#include <string>

#include "core/error.hpp"
#include "registry/blob_cache.hpp"
#include "registry/image_bundle.hpp"

namespace cc {

enum class ArchiveFormat { docker, oci };

// Writes to a temporary file beside `out`, renamed into place when complete.
Result<void> write_archive(const std::filesystem::path& out, ArchiveFormat format, const ImageBundle& image,
                           const BlobCache& cache);

// Reads either format (the first image in it); every blob goes into the cache,
// verified. A docker-archive's layers become OCI uncompressed layers with their
// digests; the bundle's name is the archive's first RepoTag, if any.
Result<ImageBundle> read_archive(const std::filesystem::path& file, const BlobCache& cache);

}  // namespace cc
