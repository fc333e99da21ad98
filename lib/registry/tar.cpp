#include "registry/tar.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

namespace cc {

namespace {

constexpr std::size_t kBlock = 512;
// Pax headers of real archives hold a few paths and times; anything bigger is not one.
constexpr std::size_t kMaxPaxRecord = 64 * 1024;
constexpr std::size_t kMaxLongName = 4096;
// Octal fields: 11 digits in the 12-byte size field (8 GiB); beyond that, a pax size record.
constexpr std::uint64_t kMaxOctalSize = 077777777777ULL;

void put_octal(char* field, std::size_t width, std::uint64_t value) {
    // width - 1 digits and a NUL, as GNU tar and Go's archive/tar write them
    auto text = fmt::format("{:0{}o}", value, width - 1);
    std::memcpy(field, text.data(), width - 1);
    field[width - 1] = '\0';
}

std::string pax_record(std::string_view key, std::string_view value) {
    // "<length> key=value\n", where <length> counts its own digits too
    std::size_t body = key.size() + value.size() + 3;  // ' ', '=', '\n'
    std::size_t length = body + 1;
    while (std::to_string(length).size() + body != length) length = std::to_string(length).size() + body;
    return fmt::format("{} {}={}\n", length, key, value);
}

std::string_view field(const char* block, std::size_t offset, std::size_t width) {
    std::string_view text(block + offset, width);
    return text.substr(0, std::min(text.find('\0'), text.size()));
}

std::optional<std::uint64_t> parse_number(const char* block, std::size_t offset, std::size_t width) {
    auto* bytes = reinterpret_cast<const unsigned char*>(block + offset);
    if (bytes[0] & 0x80) {  // GNU base-256, big-endian (sizes of 8 GiB and more)
        if (bytes[0] != 0x80) return std::nullopt;
        std::uint64_t value = 0;
        for (std::size_t i = 1; i < width; ++i) {
            if (value >> 56) return std::nullopt;
            value = (value << 8) | bytes[i];
        }
        return value;
    }
    std::string_view text(block + offset, width);
    auto begin = text.find_first_not_of(' ');
    if (begin == std::string_view::npos) return 0;
    text.remove_prefix(begin);
    text = text.substr(0, text.find_first_of(std::string_view(" \0", 2)));
    if (text.empty()) return 0;
    std::uint64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 8);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

unsigned checksum_of(const char* block) {
    unsigned sum = 0;
    for (std::size_t i = 0; i < kBlock; ++i)
        sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(block[i]);
    return sum;
}

}  // namespace

std::optional<std::string> normalise_tar_name(std::string_view name) {
    if (name.empty() || name.front() == '/') return std::nullopt;
    std::string out;
    while (!name.empty()) {
        auto slash = name.find('/');
        auto part = name.substr(0, slash);
        name = slash == std::string_view::npos ? std::string_view() : name.substr(slash + 1);
        if (part.empty() || part == ".") continue;
        if (part == "..") return std::nullopt;
        if (!out.empty()) out += '/';
        out += part;
    }
    if (out.empty()) return std::nullopt;
    return out;
}

// ---- writer

Result<void> TarWriter::header(std::string_view name, char type, std::uint64_t size, unsigned mode) {
    if (remaining_ != 0) return fail(ErrorKind::io, "tar: a file's data is incomplete");
    std::string pax;
    if (name.size() > 100) pax += pax_record("path", name);
    if (size > kMaxOctalSize) pax += pax_record("size", std::to_string(size));
    if (!pax.empty()) {
        std::string pax_name = fmt::format("PaxHeaders/{}", name.substr(name.size() - std::min<std::size_t>(80, name.size())));
        if (auto r = header(pax_name.substr(0, 100), 'x', pax.size(), 0644); !r) return r;
        if (auto r = write_data(pax); !r) return r;
        if (auto r = end_file(); !r) return r;
    }
    std::array<char, kBlock> block{};
    std::memcpy(block.data(), name.data(), std::min<std::size_t>(name.size(), 100));
    put_octal(block.data() + 100, 8, mode);
    put_octal(block.data() + 108, 8, 0);
    put_octal(block.data() + 116, 8, 0);
    put_octal(block.data() + 124, 12, std::min(size, kMaxOctalSize));
    put_octal(block.data() + 136, 12, 0);  // mtime 0: the same image gives the same archive
    block[156] = type;
    std::memcpy(block.data() + 257, "ustar\0" "00", 8);
    std::memcpy(block.data() + 265, "root", 4);
    std::memcpy(block.data() + 297, "root", 4);
    auto sum = fmt::format("{:06o}", checksum_of(block.data()));
    std::memcpy(block.data() + 148, sum.data(), 6);
    block[154] = '\0';
    block[155] = ' ';
    remaining_ = size;
    written_ = 0;
    return sink_(std::string_view(block.data(), block.size()));
}

Result<void> TarWriter::begin_file(std::string_view name, std::uint64_t size, unsigned mode) {
    return header(name, '0', size, mode);
}

Result<void> TarWriter::write_data(std::string_view bytes) {
    if (bytes.size() > remaining_) return fail(ErrorKind::io, "tar: more data than the file's size");
    remaining_ -= bytes.size();
    written_ += bytes.size();
    return sink_(bytes);
}

Result<void> TarWriter::end_file() {
    if (remaining_ != 0) return fail(ErrorKind::io, fmt::format("tar: {} bytes of a file missing", remaining_));
    static const std::array<char, kBlock> zeros{};
    std::size_t pad = (kBlock - written_ % kBlock) % kBlock;
    written_ = 0;
    return pad ? sink_(std::string_view(zeros.data(), pad)) : Result<void>{};
}

Result<void> TarWriter::add_file(std::string_view name, std::string_view bytes, unsigned mode) {
    if (auto r = begin_file(name, bytes.size(), mode); !r) return r;
    if (auto r = write_data(bytes); !r) return r;
    return end_file();
}

Result<void> TarWriter::add_directory(std::string_view name, unsigned mode) {
    std::string dir(name);
    if (dir.empty() || dir.back() != '/') dir += '/';
    return header(dir, '5', 0, mode);
}

Result<void> TarWriter::finish() {
    static const std::array<char, 2 * kBlock> zeros{};
    return sink_(std::string_view(zeros.data(), zeros.size()));
}

// ---- reader

Result<void> TarReader::read_exact(char* buffer, std::size_t size) {
    std::size_t got = 0;
    while (got < size) {
        auto n = input_(buffer + got, size - got);
        if (!n) return std::unexpected(n.error());
        if (*n == 0) return fail(ErrorKind::invalid_input, "tar: archive ends in the middle of an entry");
        got += *n;
    }
    return {};
}

Result<bool> TarReader::read_block(char* block) {
    std::size_t got = 0;
    while (got < kBlock) {
        auto n = input_(block + got, kBlock - got);
        if (!n) return std::unexpected(n.error());
        if (*n == 0) {
            if (got == 0) return false;
            return fail(ErrorKind::invalid_input, "tar: archive ends in the middle of a header");
        }
        got += *n;
    }
    return true;
}

Result<void> TarReader::skip(std::uint64_t bytes) {
    std::array<char, 64 * 1024> buffer;
    while (bytes > 0) {
        auto chunk = static_cast<std::size_t>(std::min<std::uint64_t>(bytes, buffer.size()));
        if (auto r = read_exact(buffer.data(), chunk); !r) return r;
        bytes -= chunk;
    }
    return {};
}

Result<std::string> TarReader::read_record(std::uint64_t size, std::size_t max) {
    if (size > max) return fail(ErrorKind::invalid_input, fmt::format("tar: a {}-byte extended header (at most {})", size, max));
    std::string text(static_cast<std::size_t>(size), '\0');
    if (auto r = read_exact(text.data(), text.size()); !r) return std::unexpected(r.error());
    if (auto r = skip((kBlock - size % kBlock) % kBlock); !r) return std::unexpected(r.error());
    return text;
}

Result<std::optional<TarEntry>> TarReader::next() {
    if (auto r = skip(remaining_ + padding_); !r) return std::unexpected(r.error());
    remaining_ = padding_ = 0;
    std::optional<std::string> long_name, long_link;
    std::uint64_t pax_size = 0;
    bool has_pax_size = false;
    std::array<char, kBlock> block;
    for (int extended = 0;; ++extended) {
        if (extended > 8) return fail(ErrorKind::invalid_input, "tar: too many extended headers in a row");
        auto got = read_block(block.data());
        if (!got) return std::unexpected(got.error());
        if (!*got || std::all_of(block.begin(), block.end(), [](char c) { return c == 0; }))
            return std::optional<TarEntry>();  // end of archive
        auto recorded = parse_number(block.data(), 148, 8);
        if (!recorded || *recorded != checksum_of(block.data()))
            return fail(ErrorKind::invalid_input, "tar: header checksum mismatch (not a tar archive, or corrupt)");
        auto size = parse_number(block.data(), 124, 12);
        if (!size) return fail(ErrorKind::invalid_input, "tar: bad size field");
        char type = block[156];
        if (type == 'x' || type == 'g') {
            auto text = read_record(*size, kMaxPaxRecord);
            if (!text) return std::unexpected(text.error());
            if (type == 'g') continue;  // global defaults: nothing images use
            std::string_view rest = *text;
            while (!rest.empty()) {
                auto space = rest.find(' ');
                std::size_t length = 0;
                if (space == std::string_view::npos ||
                    std::from_chars(rest.data(), rest.data() + space, length).ec != std::errc() ||
                    length <= space + 1 || length > rest.size() || rest[length - 1] != '\n')
                    return fail(ErrorKind::invalid_input, "tar: malformed pax record");
                auto record = rest.substr(space + 1, length - space - 2);
                rest.remove_prefix(length);
                auto eq = record.find('=');
                if (eq == std::string_view::npos) return fail(ErrorKind::invalid_input, "tar: malformed pax record");
                auto key = record.substr(0, eq), value = record.substr(eq + 1);
                if (key == "path") long_name = std::string(value);
                else if (key == "linkpath") long_link = std::string(value);
                else if (key == "size") {
                    std::uint64_t v = 0;
                    if (std::from_chars(value.data(), value.data() + value.size(), v).ec != std::errc())
                        return fail(ErrorKind::invalid_input, "tar: bad pax size");
                    pax_size = v;
                    has_pax_size = true;
                }
            }
            continue;
        }
        if (type == 'L' || type == 'K') {  // GNU long name / long link target
            auto text = read_record(*size, kMaxLongName);
            if (!text) return std::unexpected(text.error());
            std::string value = text->substr(0, text->find('\0'));
            (type == 'L' ? long_name : long_link) = std::move(value);
            continue;
        }
        std::string raw_name;
        if (long_name) raw_name = *long_name;
        else {
            raw_name = std::string(field(block.data(), 0, 100));
            auto prefix = field(block.data(), 345, 155);
            if (field(block.data(), 257, 5) == "ustar" && !prefix.empty())
                raw_name = fmt::format("{}/{}", prefix, raw_name);
        }
        auto name = normalise_tar_name(raw_name);
        // the archive's root ("./"), as `tar -C DIR .` writes it: nothing to report
        if (!name && type == '5' && !raw_name.empty() && raw_name.find_first_not_of("./") == std::string::npos) {
            long_name.reset();
            long_link.reset();
            has_pax_size = false;
            continue;
        }
        if (!name) return fail(ErrorKind::invalid_input, fmt::format("tar: refusing entry name \"{}\"", raw_name));
        TarEntry entry;
        entry.name = std::move(*name);
        entry.size = has_pax_size ? pax_size : *size;
        switch (type) {
            case '0': case '\0': case '7': entry.type = TarEntry::Type::file; break;
            case '5': entry.type = TarEntry::Type::directory; break;
            case '2': entry.type = TarEntry::Type::symlink; break;
            case '1': entry.type = TarEntry::Type::hardlink; break;
            default: entry.type = TarEntry::Type::other; break;
        }
        if (entry.type == TarEntry::Type::symlink || entry.type == TarEntry::Type::hardlink) {
            entry.link = long_link ? *long_link : std::string(field(block.data(), 157, 100));
            entry.size = 0;  // links carry no data, whatever the size field says
        }
        if (entry.type == TarEntry::Type::directory) entry.size = 0;
        remaining_ = entry.size;
        padding_ = (kBlock - entry.size % kBlock) % kBlock;
        return std::optional<TarEntry>(std::move(entry));
    }
}

Result<std::size_t> TarReader::read_data(char* buffer, std::size_t size) {
    if (remaining_ == 0) return std::size_t{0};
    auto want = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, size));
    auto n = input_(buffer, want);
    if (!n) return std::unexpected(n.error());
    if (*n == 0) return fail(ErrorKind::invalid_input, "tar: archive ends in the middle of an entry");
    remaining_ -= *n;
    return *n;
}

}  // namespace cc
