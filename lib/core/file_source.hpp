// A local file as a ByteSource: what cp uploads, read chunk by chunk as the
// nodes take it, never held whole.
#pragma once
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

#include <fmt/format.h>

#include "core/byte_source.hpp"

namespace cc {

class FileSource final : public ByteSource {
public:
    // A regular file, opened read-only.
    static Result<FileSource> open(const std::string& path) {
        int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return fail(ErrorKind::io, fmt::format("cannot open \"{}\": {}", path, std::strerror(errno)));
        FileSource source(fd, path);
        struct stat st {};
        if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
            return fail(ErrorKind::io, fmt::format("\"{}\" is not a regular file", path));
        source.size_ = static_cast<std::uint64_t>(st.st_size);
        return source;
    }
    FileSource(FileSource&& other) noexcept
        : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)), size_(other.size_) {}
    FileSource(const FileSource&) = delete;
    FileSource& operator=(const FileSource&) = delete;
    FileSource& operator=(FileSource&&) = delete;
    ~FileSource() override {
        if (fd_ >= 0) ::close(fd_);
    }

    // The size when opened.
    std::uint64_t size() const { return size_; }
    const std::string& path() const { return path_; }

    Result<Chunk> read(std::span<char> buffer, std::chrono::milliseconds) override {
        for (;;) {
            ssize_t n = ::read(fd_, buffer.data(), buffer.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return fail(ErrorKind::io, fmt::format("reading \"{}\": {}", path_, std::strerror(errno)));
            return Chunk{static_cast<std::size_t>(n), n == 0};
        }
    }

private:
    FileSource(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    int fd_ = -1;
    std::string path_;
    std::uint64_t size_ = 0;
};

}  // namespace cc
