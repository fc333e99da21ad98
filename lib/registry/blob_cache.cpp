#include "registry/blob_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>

#include "core/local_paths.hpp"
#include "registry/reference.hpp"

namespace cc {

namespace fs = std::filesystem;

namespace {

// A temporary file a killed process left behind is removed by prune once it is this old.
constexpr auto kStaleTemporary = std::chrono::hours(1);

Error io_error(std::string what, const fs::path& path) {
    return Error{ErrorKind::io, fmt::format("{} \"{}\": {}", what, path.string(), std::strerror(errno))};
}

std::string random_suffix() {
    thread_local std::mt19937_64 generator{std::random_device{}()};
    return fmt::format("{:016x}", generator());
}

std::chrono::system_clock::time_point modified_time(const struct stat& st) {
    return std::chrono::system_clock::time_point{std::chrono::seconds(st.st_mtim.tv_sec) +
                                                 std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                                     std::chrono::nanoseconds(st.st_mtim.tv_nsec))};
}

class FileBlobWriter final : public BlobWriter {
public:
    FileBlobWriter(int fd, fs::path temporary, fs::path final_path, std::string digest, std::uint64_t expected)
        : fd_(fd), temporary_(std::move(temporary)), final_(std::move(final_path)), digest_(std::move(digest)),
          expected_(expected) {}
    ~FileBlobWriter() override {
        if (fd_ >= 0) ::close(fd_);
        if (!committed_) ::unlink(temporary_.c_str());
    }

    Result<void> write(std::string_view bytes) override {
        if (fd_ < 0) return fail(ErrorKind::io, "blob writer used after commit");
        // A server that sends more than the descriptor said is stopped here, not at commit.
        if (expected_ != 0 && written_ + bytes.size() > expected_)
            return fail(ErrorKind::remote, fmt::format("blob {} is larger than its {} bytes", digest_, expected_));
        hasher_.update(bytes);
        while (!bytes.empty()) {
            ssize_t n = ::write(fd_, bytes.data(), bytes.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return std::unexpected(io_error("cannot write", temporary_));
            bytes.remove_prefix(static_cast<std::size_t>(n));
            written_ += static_cast<std::uint64_t>(n);
        }
        return {};
    }

    Result<fs::path> commit() override {
        if (fd_ < 0) return fail(ErrorKind::io, "blob writer committed twice");
        if (expected_ != 0 && written_ != expected_)
            return fail(ErrorKind::remote,
                        fmt::format("blob {} ended after {} of {} bytes", digest_, written_, expected_));
        std::string actual = "sha256:" + hasher_.hex_digest();
        if (actual != digest_)
            return fail(ErrorKind::remote, fmt::format("blob {} arrived with digest {}", digest_, actual));
        if (::fdatasync(fd_) != 0) return std::unexpected(io_error("cannot sync", temporary_));
        ::close(fd_);
        fd_ = -1;
        if (::rename(temporary_.c_str(), final_.c_str()) != 0) return std::unexpected(io_error("cannot rename", final_));
        committed_ = true;
        return final_;
    }

private:
    int fd_;
    fs::path temporary_;
    fs::path final_;
    std::string digest_;
    std::uint64_t expected_;
    std::uint64_t written_ = 0;
    Sha256 hasher_;
    bool committed_ = false;
};

// Our own directory, not a link someone planted and not someone else's.
Result<void> check_private_directory(const fs::path& dir) {
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) return std::unexpected(io_error("cannot open blob cache", dir));
    if (!S_ISDIR(st.st_mode)) return fail(ErrorKind::io, fmt::format("blob cache \"{}\" is not a directory", dir.string()));
    if (st.st_uid != ::geteuid())
        return fail(ErrorKind::io, fmt::format("blob cache \"{}\" belongs to another user", dir.string()));
    if ((st.st_mode & 077) != 0 && ::chmod(dir.c_str(), 0700) != 0)
        return std::unexpected(io_error("cannot chmod", dir));
    return {};
}

}  // namespace

fs::path default_blob_cache_dir() {
    const char* value = std::getenv("XDG_CACHE_HOME");
    std::string base = value ? value : "";
    if (base.empty() || base.front() != '/') base = home_directory() + "/.cache";
    return fs::path(base) / "clusterctl" / "blobs";
}

Result<BlobCache> BlobCache::open(fs::path dir) {
    fs::path blobs = dir / "sha256";
    if (auto made = make_directories(blobs.string(), 0700); !made) return std::unexpected(made.error());
    if (auto ok = check_private_directory(dir); !ok) return std::unexpected(ok.error());
    if (auto ok = check_private_directory(blobs); !ok) return std::unexpected(ok.error());
    return BlobCache(std::move(dir));
}

fs::path BlobCache::path_of(std::string_view digest) const {
    std::string_view hex = digest.starts_with("sha256:") ? digest.substr(7) : digest;
    return dir_ / "sha256" / std::string(hex);
}

bool BlobCache::has(std::string_view digest) const {
    if (!is_sha256_digest(digest)) return false;
    struct stat st {};
    return ::lstat(path_of(digest).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

Result<std::unique_ptr<BlobWriter>> BlobCache::begin(std::string_view digest, std::uint64_t expected_size) const {
    if (!is_sha256_digest(digest))
        return fail(ErrorKind::invalid_input, fmt::format("invalid blob digest \"{}\"", digest.substr(0, 80)));
    fs::path final_path = path_of(digest);
    fs::path temporary = final_path.parent_path() / ("." + final_path.filename().string() + "." + random_suffix());
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return std::unexpected(io_error("cannot create", temporary));
    return std::make_unique<FileBlobWriter>(fd, std::move(temporary), std::move(final_path), std::string(digest),
                                            expected_size);
}

Result<fs::path> BlobCache::put(std::string_view digest, std::string_view bytes) const {
    auto writer = begin(digest, bytes.size());
    if (!writer) return std::unexpected(writer.error());
    if (auto ok = (*writer)->write(bytes); !ok) return std::unexpected(ok.error());
    return (*writer)->commit();
}

Result<std::string> BlobCache::read_small(std::string_view digest, std::size_t max_bytes) const {
    if (!is_sha256_digest(digest))
        return fail(ErrorKind::invalid_input, fmt::format("invalid blob digest \"{}\"", digest.substr(0, 80)));
    fs::path path = path_of(digest);
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return fail(ErrorKind::not_found, fmt::format("blob {} is not in the cache", digest));
        return std::unexpected(io_error("cannot open", path));
    }
    std::string bytes;
    char buffer[65536];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            auto error = io_error("cannot read", path);
            ::close(fd);
            return std::unexpected(error);
        }
        if (n == 0) break;
        if (bytes.size() + static_cast<std::size_t>(n) > max_bytes) {
            ::close(fd);
            return fail(ErrorKind::io, fmt::format("blob {} is larger than {} bytes", digest, max_bytes));
        }
        bytes.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    // Small blobs are cheap to check again; a damaged cache file must not reach a node.
    if ("sha256:" + sha256_hex(bytes) != digest)
        return fail(ErrorKind::io, fmt::format("cached blob {} is damaged (remove it with `image cache prune`)", digest));
    return bytes;
}

void BlobCache::touch(std::string_view digest) const {
    if (!is_sha256_digest(digest)) return;
    ::utimensat(AT_FDCWD, path_of(digest).c_str(), nullptr, AT_SYMLINK_NOFOLLOW);
}

Result<std::vector<CachedBlob>> BlobCache::list() const {
    std::vector<CachedBlob> blobs;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir_ / "sha256", ec)) {
        std::string name = entry.path().filename().string();
        if (!is_sha256_digest("sha256:" + name)) continue;  // temporaries start with '.'
        struct stat st {};
        if (::lstat(entry.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        blobs.push_back(CachedBlob{"sha256:" + name, static_cast<std::uint64_t>(st.st_size), modified_time(st)});
    }
    if (ec) return fail(ErrorKind::io, fmt::format("cannot list blob cache \"{}\": {}", dir_.string(), ec.message()));
    return blobs;
}

Result<std::vector<CachedBlob>> BlobCache::prune(std::chrono::seconds keep) const {
    auto blobs = list();
    if (!blobs) return std::unexpected(blobs.error());
    auto now = std::chrono::system_clock::now();
    std::vector<CachedBlob> removed;
    for (auto& blob : *blobs) {
        if (keep.count() > 0 && now - blob.last_used < keep) continue;
        if (::unlink(path_of(blob.digest).c_str()) == 0) removed.push_back(std::move(blob));
    }
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir_ / "sha256", ec)) {
        if (!entry.path().filename().string().starts_with(".")) continue;
        struct stat st {};
        if (::lstat(entry.path().c_str(), &st) == 0 && now - modified_time(st) > kStaleTemporary)
            ::unlink(entry.path().c_str());
    }
    return removed;
}

}  // namespace cc
