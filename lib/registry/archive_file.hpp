// Local files under an archive: the output written beside its final name and
// renamed in only when whole (an interrupted fetch leaves no half archive), and
// the input read without following a planted symlink.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cc {

struct FdCloser {
    int fd = -1;
    explicit FdCloser(int f) : fd(f) {}
    FdCloser(const FdCloser&) = delete;
    FdCloser& operator=(const FdCloser&) = delete;
    ~FdCloser();
};

class TempOutput {
public:
    // A new file "<out>.tmp-XXXXXX" in out's directory (mode 0644 less the umask).
    static Result<TempOutput> create(const std::filesystem::path& out);
    TempOutput(TempOutput&& other) noexcept;
    TempOutput& operator=(TempOutput&&) = delete;
    ~TempOutput();  // removes the temporary file unless committed

    Result<void> write(std::string_view bytes);  // buffered
    Result<void> commit();                       // flush, fsync, rename over `out`
    // For a scratch file read back before it goes: everything written so far on disk.
    Result<void> flush();
    const std::filesystem::path& temp_path() const { return temp_; }

private:
    TempOutput(std::filesystem::path out, std::filesystem::path temp, int fd)
        : out_(std::move(out)), temp_(std::move(temp)), fd_(fd) {}
    std::filesystem::path out_, temp_;
    int fd_ = -1;
    std::string buffer_;
};

// A regular file opened for reading (O_NOFOLLOW on the last component is not
// wanted here: the user names the archive), refusing directories and devices.
Result<int> open_archive_input(const std::filesystem::path& file);

}  // namespace cc
