#include "registry/archive_file.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

namespace cc {

namespace {
constexpr std::size_t kBufferSize = 1 << 20;

Result<void> write_all(int fd, std::string_view bytes, const std::filesystem::path& path) {
    while (!bytes.empty()) {
        auto n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail(ErrorKind::io, fmt::format("writing \"{}\": {}", path.string(), std::strerror(errno)));
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return {};
}
}  // namespace

FdCloser::~FdCloser() {
    if (fd >= 0) ::close(fd);
}

Result<TempOutput> TempOutput::create(const std::filesystem::path& out) {
    auto dir = out.parent_path().empty() ? std::filesystem::path(".") : out.parent_path();
    std::string pattern = (dir / (out.filename().string() + ".tmp-XXXXXX")).string();
    // mkostemp creates 0600; an archive is no secret: widen to what the umask allows
    int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd < 0) return fail(ErrorKind::io, fmt::format("cannot create a file in \"{}\": {}", dir.string(), std::strerror(errno)));
    mode_t mask = ::umask(0);
    ::umask(mask);
    ::fchmod(fd, 0644 & ~mask);
    TempOutput output(out, pattern, fd);
    output.buffer_.reserve(kBufferSize);
    return output;
}

TempOutput::TempOutput(TempOutput&& other) noexcept
    : out_(std::move(other.out_)), temp_(std::move(other.temp_)), fd_(other.fd_), buffer_(std::move(other.buffer_)) {
    other.fd_ = -1;
    other.temp_.clear();
}

TempOutput::~TempOutput() {
    if (fd_ >= 0) ::close(fd_);
    if (!temp_.empty()) ::unlink(temp_.c_str());
}

Result<void> TempOutput::flush() {
    auto r = write_all(fd_, buffer_, temp_);
    buffer_.clear();
    return r;
}

Result<void> TempOutput::write(std::string_view bytes) {
    if (buffer_.size() + bytes.size() > kBufferSize) {
        if (auto r = flush(); !r) return r;
        if (bytes.size() >= kBufferSize) return write_all(fd_, bytes, temp_);
    }
    buffer_.append(bytes);
    return {};
}

Result<void> TempOutput::commit() {
    if (auto r = flush(); !r) return r;
    if (::fsync(fd_) != 0) return fail(ErrorKind::io, fmt::format("fsync \"{}\": {}", temp_.string(), std::strerror(errno)));
    ::close(fd_);
    fd_ = -1;
    if (::rename(temp_.c_str(), out_.c_str()) != 0)
        return fail(ErrorKind::io, fmt::format("cannot write \"{}\": {}", out_.string(), std::strerror(errno)));
    temp_.clear();
    return {};
}

Result<int> open_archive_input(const std::filesystem::path& file) {
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(ErrorKind::io, fmt::format("cannot open \"{}\": {}", file.string(), std::strerror(errno)));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return fail(ErrorKind::invalid_input, fmt::format("\"{}\" is not a regular file", file.string()));
    }
    return fd;
}

}  // namespace cc
