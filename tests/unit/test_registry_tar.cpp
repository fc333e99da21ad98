#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "registry/tar.hpp"

using namespace cc;

namespace {

std::string write_tar(const std::function<void(TarWriter&)>& fill) {
    std::string out;
    TarWriter tar([&](std::string_view bytes) -> Result<void> {
        out.append(bytes);
        return {};
    });
    fill(tar);
    REQUIRE(tar.finish());
    return out;
}

// Reads `archive` in small pieces (as a pipe would deliver it).
struct Reading {
    std::string archive;
    std::size_t at = 0;
    TarReader reader{[this](char* buffer, std::size_t size) -> Result<std::size_t> {
        std::size_t n = std::min({size, archive.size() - at, std::size_t{7}});
        std::memcpy(buffer, archive.data() + at, n);
        at += n;
        return n;
    }};
    explicit Reading(std::string a) : archive(std::move(a)) {}
    std::string data() {
        std::string out;
        char buffer[100];
        while (true) {
            auto n = reader.read_data(buffer, sizeof buffer);
            REQUIRE(n);
            if (*n == 0) return out;
            out.append(buffer, *n);
        }
    }
};

// One ustar header block with the given name field and type, checksummed.
std::string header_block(const std::string& name, char type, std::size_t size = 0, const std::string& link = "") {
    std::string block(512, '\0');
    std::memcpy(block.data(), name.data(), std::min<std::size_t>(name.size(), 100));
    std::snprintf(block.data() + 100, 8, "%07o", 0644);
    std::snprintf(block.data() + 124, 12, "%011zo", size);
    block[156] = type;
    std::memcpy(block.data() + 157, link.data(), std::min<std::size_t>(link.size(), 100));
    std::memcpy(block.data() + 257, "ustar\0" "00", 8);
    unsigned sum = 0;
    for (std::size_t i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(block[i]);
    std::snprintf(block.data() + 148, 8, "%06o", sum);
    return block;
}

}  // namespace

TEST_CASE("a written tar reads back with the same names, sizes and bytes, padded to 512-byte blocks") {
    std::string big(70000, 'x');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31);
    auto archive = write_tar([&](TarWriter& tar) {
        REQUIRE(tar.add_file("manifest.json", "[]"));
        REQUIRE(tar.add_directory("blobs"));
        REQUIRE(tar.begin_file("blobs/big", big.size()));
        REQUIRE(tar.write_data(std::string_view(big).substr(0, 1000)));
        REQUIRE(tar.write_data(std::string_view(big).substr(1000)));
        REQUIRE(tar.end_file());
    });
    CHECK(archive.size() % 512 == 0);
    Reading r(archive);
    auto e = r.reader.next();
    REQUIRE(e);
    REQUIRE(*e);
    CHECK((*e)->name == "manifest.json");
    CHECK(r.data() == "[]");
    e = r.reader.next();
    REQUIRE((e && *e));
    CHECK((*e)->name == "blobs");
    CHECK((*e)->type == TarEntry::Type::directory);
    e = r.reader.next();
    REQUIRE((e && *e));
    CHECK((*e)->name == "blobs/big");
    CHECK((*e)->size == big.size());
    CHECK(r.data() == big);
    e = r.reader.next();
    REQUIRE(e);
    CHECK_FALSE(*e);
}

TEST_CASE("unread entry data is skipped by next()") {
    auto archive = write_tar([](TarWriter& tar) {
        REQUIRE(tar.add_file("a", std::string(1500, 'a')));
        REQUIRE(tar.add_file("b", "bee"));
    });
    Reading r(archive);
    REQUIRE(r.reader.next());
    auto e = r.reader.next();
    REQUIRE((e && *e));
    CHECK((*e)->name == "b");
    CHECK(r.data() == "bee");
}

TEST_CASE("a name longer than 100 bytes goes into a pax header and comes back whole") {
    std::string name = "dir/" + std::string(150, 'n') + "/file";
    auto archive = write_tar([&](TarWriter& tar) { REQUIRE(tar.add_file(name, "x")); });
    Reading r(archive);
    auto e = r.reader.next();
    REQUIRE((e && *e));
    CHECK((*e)->name == name);
    CHECK(r.data() == "x");
}

TEST_CASE("GNU long names, ./ prefixes and symlink entries are read as other tools write them") {
    std::string long_name(120, 'g');
    std::string archive = header_block("././@LongLink", 'L', long_name.size() + 1);
    archive += long_name + std::string(1, '\0');
    archive.resize((archive.size() + 511) / 512 * 512, '\0');
    archive += header_block("truncated", '0', 2) + "hi" + std::string(510, '\0');
    archive += header_block("./", '5');  // the root entry of `tar -C DIR .`: skipped
    archive += header_block("./sub/", '5');
    archive += header_block("sub/link", '2', 0, "../" + long_name);
    archive += std::string(1024, '\0');
    Reading r(archive);
    auto e = r.reader.next();
    REQUIRE((e && *e));
    CHECK((*e)->name == long_name);
    CHECK(r.data() == "hi");
    e = r.reader.next();
    REQUIRE((e && *e));
    CHECK((*e)->name == "sub");
    e = r.reader.next();
    REQUIRE((e && *e));
    CHECK((*e)->type == TarEntry::Type::symlink);
    CHECK((*e)->link == "../" + long_name);
}

TEST_CASE("absolute names and names with .. are refused, naming the entry") {
    for (std::string bad : {"/etc/passwd", "../escape", "a/../../b"}) {
        Reading r(header_block(bad, '0') + std::string(1024, '\0'));
        auto e = r.reader.next();
        REQUIRE_FALSE(e);
        CHECK(e.error().message.find(bad) != std::string::npos);
    }
}

TEST_CASE("a header with a wrong checksum is refused as not a tar archive") {
    auto block = header_block("file", '0');
    block[0] = 'F';
    Reading r(block + std::string(1024, '\0'));
    auto e = r.reader.next();
    REQUIRE_FALSE(e);
    CHECK(e.error().message.find("checksum") != std::string::npos);
}

TEST_CASE("an oversized pax header is refused before it is read into memory") {
    std::string archive = header_block("PaxHeaders/x", 'x', 1 << 20);
    Reading r(archive);  // the 1 MiB body is not even there: the size alone is refused
    auto e = r.reader.next();
    REQUIRE_FALSE(e);
    CHECK(e.error().message.find("extended header") != std::string::npos);
}

TEST_CASE("an archive cut in the middle of an entry is an error, not a short file") {
    auto archive = write_tar([](TarWriter& tar) { REQUIRE(tar.add_file("a", std::string(2000, 'a'))); });
    Reading r(archive.substr(0, 1200));
    auto e = r.reader.next();
    REQUIRE((e && *e));
    char buffer[4096];
    Result<std::size_t> n = std::size_t{1};
    while (n && *n) n = r.reader.read_data(buffer, sizeof buffer);
    CHECK_FALSE(n);
}

TEST_CASE("the writer refuses more or fewer data bytes than the header announced") {
    std::string out;
    TarWriter tar([&](std::string_view bytes) -> Result<void> {
        out.append(bytes);
        return {};
    });
    REQUIRE(tar.begin_file("f", 3));
    CHECK_FALSE(tar.write_data("four"));
    REQUIRE(tar.write_data("ab"));
    CHECK_FALSE(tar.end_file());
}

TEST_CASE("tar names are normalised and refused when they leave the archive") {
    CHECK(normalise_tar_name("./a//b/./c/") == "a/b/c");
    CHECK_FALSE(normalise_tar_name("/abs"));
    CHECK_FALSE(normalise_tar_name("a/../../b"));
    CHECK_FALSE(normalise_tar_name("a/.."));
    CHECK_FALSE(normalise_tar_name("./"));
}
