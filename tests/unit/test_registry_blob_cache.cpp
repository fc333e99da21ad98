#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>

#include "core/sha256.hpp"
#include "registry/blob_cache.hpp"
#include "temp_dir.hpp"

using namespace cc;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::string digest_of(std::string_view bytes) { return "sha256:" + sha256_hex(bytes); }

// Everything in the cache's blob directory, temporaries included.
std::size_t entries_in(const BlobCache& cache) {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(cache.dir() / "sha256")) ++n;
    return n;
}

}  // namespace

TEST_CASE("the blob cache is created private and stores a blob under its digest") {
    TempDir tmp;
    auto cache = BlobCache::open(tmp.path / "blobs");
    REQUIRE(cache);
    struct stat st {};
    REQUIRE(::stat((tmp.path / "blobs").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    auto path = cache->put(digest_of("hello"), "hello");
    REQUIRE(path);
    CHECK(*path == cache->path_of(digest_of("hello")));
    CHECK(slurp(path->string()) == "hello");
    CHECK(cache->has(digest_of("hello")));
    CHECK(*cache->read_small(digest_of("hello")) == "hello");
}

TEST_CASE("a blob whose bytes do not match its digest is refused and leaves no file") {
    TempDir tmp;
    auto cache = BlobCache::open(tmp.path / "blobs");
    REQUIRE(cache);
    auto wrong = cache->put(digest_of("hello"), "hellO");
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().message.find("arrived with digest") != std::string::npos);
    CHECK_FALSE(cache->has(digest_of("hello")));
    CHECK(entries_in(*cache) == 0);
}

TEST_CASE("an abandoned or overlong write leaves no partial file") {
    TempDir tmp;
    auto cache = BlobCache::open(tmp.path / "blobs");
    REQUIRE(cache);
    {
        auto writer = cache->begin(digest_of("0123456789"), 10);
        REQUIRE(writer);
        REQUIRE((*writer)->write("01234"));
        CHECK(entries_in(*cache) == 1);
        CHECK_FALSE((*writer)->write("56789abc"));  // more than the descriptor's size
    }
    CHECK(entries_in(*cache) == 0);
    auto short_write = cache->begin(digest_of("0123456789"), 10);
    REQUIRE((*short_write)->write("01234"));
    CHECK_FALSE((*short_write)->commit());
}

TEST_CASE("a damaged cached blob is refused when read back") {
    TempDir tmp;
    auto cache = BlobCache::open(tmp.path / "blobs");
    REQUIRE(cache);
    auto path = cache->put(digest_of("config"), "config");
    REQUIRE(path);
    fs::permissions(*path, fs::perms::owner_write, fs::perm_options::add);
    std::ofstream(*path) << "CONFIG";
    CHECK_FALSE(cache->read_small(digest_of("config")));
    CHECK_FALSE(cache->read_small(digest_of("absent")));
    CHECK_FALSE(cache->read_small("sha256:../../etc/passwd"));
}

TEST_CASE("a planted symlink is neither read as a blob nor accepted as the cache dir") {
    TempDir tmp;
    auto cache = BlobCache::open(tmp.path / "blobs");
    REQUIRE(cache);
    std::string secret = tmp.write("secret", "secret");
    fs::create_symlink(secret, cache->path_of(digest_of("secret")));
    CHECK_FALSE(cache->has(digest_of("secret")));
    CHECK_FALSE(cache->read_small(digest_of("secret")));
    fs::create_directory(tmp.path / "real");
    fs::create_directory_symlink(tmp.path / "real", tmp.path / "link");
    CHECK_FALSE(BlobCache::open(tmp.path / "link"));
}

TEST_CASE("list reports sizes and prune removes only blobs unused for longer than kept") {
    TempDir tmp;
    auto cache = BlobCache::open(tmp.path / "blobs");
    REQUIRE(cache);
    REQUIRE(cache->put(digest_of("old"), "old"));
    REQUIRE(cache->put(digest_of("new!"), "new!"));
    auto old_path = cache->path_of(digest_of("old"));
    fs::last_write_time(old_path, fs::file_time_type::clock::now() - 48h);
    auto listed = cache->list();
    REQUIRE(listed);
    CHECK(listed->size() == 2);
    auto removed = cache->prune(24h);
    REQUIRE(removed);
    REQUIRE(removed->size() == 1);
    CHECK((*removed)[0].digest == digest_of("old"));
    CHECK((*removed)[0].size == 3);
    CHECK(cache->has(digest_of("new!")));
    fs::last_write_time(cache->path_of(digest_of("new!")), fs::file_time_type::clock::now() - 48h);
    cache->touch(digest_of("new!"));
    CHECK(cache->prune(24h)->empty());
    CHECK(cache->prune(0s)->size() == 1);
    CHECK(cache->list()->empty());
}
