#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/sha256.hpp"
#include "core/shell_quote.hpp"
#include "fake_transport.hpp"
#include "ops/image_source.hpp"
#include "registry/archive.hpp"
#include "temp_dir.hpp"

using namespace cc;
namespace fs = std::filesystem;

namespace {

std::string digest_of(std::string_view bytes) { return "sha256:" + sha256_hex(bytes); }

// A one-layer linux/amd64 image with its blobs in `cache`.
ImageBundle amd64_image(const BlobCache& cache) {
    std::string layer(5000, 'L');
    std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
    REQUIRE(cache.put(digest_of(layer), layer));
    REQUIRE(cache.put(digest_of(config), config));
    nlohmann::json manifest{
        {"schemaVersion", 2},
        {"mediaType", media::oci_manifest},
        {"config", {{"mediaType", media::oci_config}, {"digest", digest_of(config)}, {"size", config.size()}}},
        {"layers", {{{"mediaType", media::oci_layer}, {"digest", digest_of(layer)}, {"size", layer.size()}}}}};
    ImageBundle image;
    image.name = "reg.lab:5000/team/app:v1";
    image.manifest.media_type = media::oci_manifest;
    image.manifest.bytes = manifest.dump();
    image.manifest.digest = digest_of(image.manifest.bytes);
    image.parsed = std::get<ImageManifest>(*parse_manifest(image.manifest));
    image.config = config;
    return image;
}

Platform platform(std::string architecture, std::string variant = "") {
    Platform p;
    p.architecture = std::move(architecture);
    p.variant = std::move(variant);
    return p;
}

// An environment variable set for one test case, put back after it.
struct ScopedEnv {
    std::string name;
    std::optional<std::string> old;
    ScopedEnv(std::string n, const std::string& value) : name(std::move(n)) {
        if (const char* v = std::getenv(name.c_str())) old = v;
        ::setenv(name.c_str(), value.c_str(), 1);
    }
    ~ScopedEnv() {
        if (old) ::setenv(name.c_str(), old->c_str(), 1);
        else ::unsetenv(name.c_str());
    }
};

struct Fixture {
    TempDir dir;
    Inventory inventory = std::move(*Inventory::open(dir.file("inv.db")));
    FakeTransport transport;
    OpsContext ctx{inventory, transport, Settings{}};
    BlobCache source_cache = std::move(*BlobCache::open(dir.path / "source-cache"));
    BlobCache cache = std::move(*BlobCache::open(dir.path / "cache"));
    ImageBundle image = amd64_image(source_cache);
    std::string archive = dir.file("app.tar");

    Fixture() { REQUIRE(write_archive(archive, ArchiveFormat::oci, image, source_cache)); }

    // A `podman` on PATH whose `save -o FILE -- NAME` writes our archive (or fails
    // with `fail_with`), recording its argv.
    void fake_podman(const std::string& fail_with = "") {
        fs::create_directories(dir.path / "bin");
        fs::create_directories(dir.path / "tmp");
        std::string body = fail_with.empty()
                               ? "cp " + shell_quote(archive) + " \"$3\"\n"
                               : "echo " + shell_quote(fail_with) + " >&2\nexit 125\n";
        std::string script = dir.write("bin/podman", "#!/bin/sh\nprintf '%s\\n' \"$@\" >> " +
                                                         shell_quote(dir.file("argv")) + "\n" + body);
        fs::permissions(script, fs::perms::owner_all);
    }
};

}  // namespace

TEST_SUITE_BEGIN("image source");

TEST_CASE("an archive is read once into the cache and serves the platform it was built for") {
    Fixture f;
    auto source = open_image_source(f.ctx, f.archive, f.cache, {});
    REQUIRE(source);
    fs::remove(f.archive);  // read when opened: never again
    auto bundle = (*source)->for_platform(platform("amd64"));
    REQUIRE(bundle);
    CHECK(bundle->manifest.digest == f.image.manifest.digest);
    CHECK(bundle->name == "reg.lab:5000/team/app:v1");
    CHECK((*source)->default_name() == "reg.lab:5000/team/app:v1");
    for (const auto& layer : bundle->parsed.layers) CHECK(f.cache.has(layer.digest));
    CHECK((*source)->for_platform(platform("amd64")).value().manifest.digest == f.image.manifest.digest);
    CHECK((*source)->describe().find("app.tar") != std::string::npos);
}

TEST_CASE("a platform the archive does not hold is an error naming both") {
    Fixture f;
    auto source = open_image_source(f.ctx, "oci-archive:" + f.archive, f.cache, {});
    REQUIRE(source);
    auto other = (*source)->for_platform(platform("arm64", "v8"));
    REQUIRE(!other);
    CHECK(other.error().kind == ErrorKind::not_found);
    CHECK(other.error().message.find("linux/amd64") != std::string::npos);
    CHECK(other.error().message.find("linux/arm64/v8") != std::string::npos);
}

TEST_CASE("a local podman image is saved once to a private temporary file that is removed after reading") {
    Fixture f;
    f.fake_podman();
    ScopedEnv path("PATH", f.dir.file("bin") + ":/usr/bin:/bin");
    ScopedEnv tmp("TMPDIR", f.dir.file("tmp"));
    auto source = open_image_source(f.ctx, "podman:team/app:v1", f.cache, {});
    REQUIRE(source);
    auto argv = slurp(f.dir.file("argv"));
    CHECK(argv.starts_with("save\n-o\n" + f.dir.file("tmp") + "/clusterctl-save-"));
    CHECK(argv.ends_with("/image.tar\n--\nteam/app:v1\n"));
    CHECK(fs::is_empty(f.dir.path / "tmp"));
    auto bundle = (*source)->for_platform(platform("amd64"));
    REQUIRE(bundle);
    CHECK(bundle->manifest.digest == f.image.manifest.digest);
    CHECK(slurp(f.dir.file("argv")) == argv);  // not saved again
}

TEST_CASE("a local image the store does not have fails with the store's words and leaves nothing") {
    Fixture f;
    f.fake_podman("Error: team/nope:v1: image not known");
    ScopedEnv path("PATH", f.dir.file("bin") + ":/usr/bin:/bin");
    ScopedEnv tmp("TMPDIR", f.dir.file("tmp"));
    auto source = open_image_source(f.ctx, "podman:team/nope:v1", f.cache, {});
    REQUIRE(!source);
    CHECK(source.error().message.find("image not known") != std::string::npos);
    CHECK(source.error().message.find("podman image team/nope:v1") != std::string::npos);
    CHECK(fs::is_empty(f.dir.path / "tmp"));
}

TEST_CASE("something that is no file, no local image and no reference is refused naming it") {
    Fixture f;
    auto source = open_image_source(f.ctx, "./missing.tar", f.cache, {});
    REQUIRE(!source);
    CHECK(source.error().message.find("./missing.tar") != std::string::npos);
    CHECK(!open_image_source(f.ctx, "podman:", f.cache, {}));
    CHECK(!open_image_source(f.ctx, "podman:-x", f.cache, {}));
}
