// A small streaming tar (ustar + pax) writer and reader: what image archives are
// made of. Neither holds an entry whole. The reader treats its input as hostile:
// every header is checksummed, pax and GNU long-name records are bounded, and
// names that are absolute or climb out with ".." are refused.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cc {

// Where a writer's bytes go / where a reader's come from (0 bytes: end of input).
using TarSink = std::function<Result<void>(std::string_view bytes)>;
using TarInput = std::function<Result<std::size_t>(char* buffer, std::size_t size)>;

class TarWriter {
public:
    explicit TarWriter(TarSink sink) : sink_(std::move(sink)) {}

    // A regular file of `size` bytes: its header now, then exactly `size` bytes
    // through write_data(), then end_file() pads to the block.
    Result<void> begin_file(std::string_view name, std::uint64_t size, unsigned mode = 0644);
    Result<void> write_data(std::string_view bytes);
    Result<void> end_file();
    // A whole small file at once.
    Result<void> add_file(std::string_view name, std::string_view bytes, unsigned mode = 0644);
    Result<void> add_directory(std::string_view name, unsigned mode = 0755);
    // The two zero blocks that end an archive.
    Result<void> finish();

private:
    Result<void> header(std::string_view name, char type, std::uint64_t size, unsigned mode);
    TarSink sink_;
    std::uint64_t remaining_ = 0;  // data bytes the current file still expects
    std::uint64_t written_ = 0;    // of the current file, for the padding
};

struct TarEntry {
    enum class Type { file, directory, symlink, hardlink, other };
    std::string name;      // normalised: no leading "./", no trailing "/"
    Type type = Type::other;
    std::uint64_t size = 0;
    std::string link;      // symlink or hard link target
};

class TarReader {
public:
    explicit TarReader(TarInput input) : input_(std::move(input)) {}

    // The next entry (the unread data of the previous one is skipped), or
    // nullopt at the end of the archive.
    Result<std::optional<TarEntry>> next();
    // The current entry's data; 0 once it is all read.
    Result<std::size_t> read_data(char* buffer, std::size_t size);

private:
    Result<bool> read_block(char* block);  // false: clean end of input
    Result<void> read_exact(char* buffer, std::size_t size);
    Result<void> skip(std::uint64_t bytes);
    Result<std::string> read_record(std::uint64_t size, std::size_t max);
    TarInput input_;
    std::uint64_t remaining_ = 0;  // data bytes of the current entry not yet read
    std::uint64_t padding_ = 0;    // zero bytes after them, to the block boundary
};

// "a/./b/" -> "a/b"; nullopt for absolute names, ".." components or empty names.
std::optional<std::string> normalise_tar_name(std::string_view name);

}  // namespace cc
