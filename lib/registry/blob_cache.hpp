// The local content-addressed blob store (XDG cache dir): each blob is fetched
// or read once, verified while it is written, and served from here to every node.
#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/sha256.hpp"

namespace cc {

// Writes one blob to a temporary file beside its final place, hashing as it goes;
// commit() checks digest (and size, when known) and renames it in; destroying an
// uncommitted writer removes the partial file.
class BlobWriter {
public:
    virtual ~BlobWriter() = default;
    virtual Result<void> write(std::string_view bytes) = 0;
    virtual Result<std::filesystem::path> commit() = 0;
};

struct CachedBlob {
    std::string digest;
    std::uint64_t size = 0;
    std::chrono::system_clock::time_point last_used;
};

class BlobCache {
public:
    // `dir` is created 0700 when missing; default_blob_cache_dir() is $XDG_CACHE_HOME/clusterctl/blobs.
    static Result<BlobCache> open(std::filesystem::path dir);

    const std::filesystem::path& dir() const { return dir_; }
    std::filesystem::path path_of(std::string_view digest) const;  // dir/sha256/<hex>
    bool has(std::string_view digest) const;
    // expected_size 0 means unknown. Several writers of one digest at once are
    // safe (the last rename wins with identical bytes).
    Result<std::unique_ptr<BlobWriter>> begin(std::string_view digest, std::uint64_t expected_size = 0) const;
    Result<std::filesystem::path> put(std::string_view digest, std::string_view bytes) const;
    // A small blob (a manifest or config) read whole; refuses one larger than max_bytes.
    Result<std::string> read_small(std::string_view digest, std::size_t max_bytes = 4 << 20) const;
    // Marks a blob used now (prune keeps recently used ones).
    void touch(std::string_view digest) const;
    Result<std::vector<CachedBlob>> list() const;
    // Removes blobs not used within `keep` (zero: all); returns what went.
    Result<std::vector<CachedBlob>> prune(std::chrono::seconds keep) const;

private:
    explicit BlobCache(std::filesystem::path dir) : dir_(std::move(dir)) {}
    std::filesystem::path dir_;
};

std::filesystem::path default_blob_cache_dir();

}  // namespace cc
