#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/sha256.hpp"
#include "registry/archive.hpp"
#include "registry/tar.hpp"
#include "temp_dir.hpp"

using namespace cc;
namespace fs = std::filesystem;

namespace {

std::string digest_of(std::string_view bytes) { return "sha256:" + sha256_hex(bytes); }
std::string hex_of(const std::string& digest) { return digest.substr(7); }

// A two-layer image (one "gzip" layer, one plain) with every blob in `cache`.
ImageBundle sample_image(const BlobCache& cache) {
    std::string layer1 = "\x1f\x8b pretend gzip layer";
    std::string layer2(3000, 'L');
    std::string config = R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
    REQUIRE(cache.put(digest_of(layer1), layer1));
    REQUIRE(cache.put(digest_of(layer2), layer2));
    REQUIRE(cache.put(digest_of(config), config));
    nlohmann::json manifest{
        {"schemaVersion", 2},
        {"mediaType", media::oci_manifest},
        {"config", {{"mediaType", media::oci_config}, {"digest", digest_of(config)}, {"size", config.size()}}},
        {"layers",
         {{{"mediaType", media::oci_layer_gzip}, {"digest", digest_of(layer1)}, {"size", layer1.size()}},
          {{"mediaType", media::oci_layer}, {"digest", digest_of(layer2)}, {"size", layer2.size()}}}}};
    ImageBundle image;
    image.name = "reg.lab:5000/team/app:v1";
    image.manifest.media_type = media::oci_manifest;
    image.manifest.bytes = manifest.dump();
    image.manifest.digest = digest_of(image.manifest.bytes);
    auto parsed = parse_manifest(image.manifest);
    REQUIRE(parsed);
    image.parsed = std::get<ImageManifest>(*parsed);
    image.config = config;
    return image;
}

// A tar archive of the given (name, bytes) files, and symlinks for link entries.
std::string tar_of(const std::vector<std::pair<std::string, std::string>>& files) {
    std::string out;
    TarWriter tar([&](std::string_view bytes) -> Result<void> {
        out.append(bytes);
        return {};
    });
    for (const auto& [name, bytes] : files) REQUIRE(tar.add_file(name, bytes));
    REQUIRE(tar.finish());
    return out;
}

void write_bytes(const fs::path& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    return names;
}

}  // namespace

TEST_CASE("an oci-archive reads back as the same image: manifest digest, config and layers") {
    TempDir tmp;
    auto cache = BlobCache::open(tmp.path / "cache");
    REQUIRE(cache);
    auto image = sample_image(*cache);
    auto out = tmp.path / "out" / "app.tar";
    fs::create_directory(tmp.path / "out");
    REQUIRE(write_archive(out, ArchiveFormat::oci, image, *cache));
    CHECK(names_in(tmp.path / "out") == std::vector<std::string>{"app.tar"});

    auto other = BlobCache::open(tmp.path / "other");
    REQUIRE(other);
    auto back = read_archive(out, *other);
    REQUIRE_MESSAGE(back, back.error().message);
    CHECK(back->name == image.name);
    CHECK(back->manifest.digest == image.manifest.digest);
    CHECK(back->manifest.bytes == image.manifest.bytes);
    CHECK(back->config == image.config);
    REQUIRE(back->parsed.layers.size() == 2);
    for (const auto& layer : image.parsed.layers) CHECK(other->has(layer.digest));
}

TEST_CASE("a docker-archive reads back with the same layers, gzip ones marked as gzip") {
    TempDir tmp;
    auto cache = BlobCache::open(tmp.path / "cache");
    REQUIRE(cache);
    auto image = sample_image(*cache);
    auto out = tmp.path / "app.tar";
    REQUIRE(write_archive(out, ArchiveFormat::docker, image, *cache));
    auto other = BlobCache::open(tmp.path / "other");
    REQUIRE(other);
    auto back = read_archive(out, *other);
    REQUIRE_MESSAGE(back, back.error().message);
    CHECK(back->name == image.name);
    CHECK(back->config == image.config);
    REQUIRE(back->parsed.layers.size() == 2);
    CHECK(back->parsed.layers[0].digest == image.parsed.layers[0].digest);
    CHECK(back->parsed.layers[0].media_type == media::oci_layer_gzip);
    CHECK(back->parsed.layers[1].digest == image.parsed.layers[1].digest);
    CHECK(back->parsed.layers[1].media_type == media::oci_layer);
    CHECK(other->has(back->manifest.digest));
}

TEST_CASE("docker's layout of <id>/layer.tar links into blobs/sha256 is followed inside the archive only") {
    TempDir tmp;
    auto cache = BlobCache::open(tmp.path / "cache");
    REQUIRE(cache);
    std::string layer = "layer bytes", config = R"({"os":"linux"})";
    std::string manifest = nlohmann::json::array(
        {{{"Config", "blobs/sha256/" + hex_of(digest_of(config))}, {"RepoTags", {"app:1"}}, {"Layers", {"abc/layer.tar"}}}}).dump();
    auto build = [&](const std::string& link_target) {
        std::string out;
        TarWriter tar([&](std::string_view bytes) -> Result<void> {
            out.append(bytes);
            return {};
        });
        REQUIRE(tar.add_file("blobs/sha256/" + hex_of(digest_of(layer)), layer));
        REQUIRE(tar.add_file("blobs/sha256/" + hex_of(digest_of(config)), config));
        REQUIRE(tar.add_file("manifest.json", manifest));
        out.resize(out.size());
        // a symlink entry, written by hand: the writer makes no links
        std::string block(512, '\0');
        std::memcpy(block.data(), "abc/layer.tar", 13);
        std::memcpy(block.data() + 100, "0000777", 7);
        std::memcpy(block.data() + 124, "00000000000", 11);
        block[156] = '2';
        std::memcpy(block.data() + 157, link_target.data(), link_target.size());
        std::memcpy(block.data() + 257, "ustar\0" "00", 8);
        unsigned sum = 0;
        for (std::size_t i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(block[i]);
        std::snprintf(block.data() + 148, 8, "%06o", sum);
        out += block;
        REQUIRE(tar.finish());
        return out;
    };
    write_bytes(tmp.path / "good.tar", build("../blobs/sha256/" + hex_of(digest_of(layer))));
    auto good = read_archive(tmp.path / "good.tar", *cache);
    REQUIRE_MESSAGE(good, good.error().message);
    CHECK(good->name == "app:1");
    REQUIRE(good->parsed.layers.size() == 1);
    CHECK(good->parsed.layers[0].digest == digest_of(layer));

    write_bytes(tmp.path / "escape.tar", build("../../etc/passwd"));
    auto bad = read_archive(tmp.path / "escape.tar", *cache);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("leaves the archive") != std::string::npos);
}

TEST_CASE("a blob the cache already holds is not read from the archive again: the cached, verified bytes stand") {
    for (auto format : {ArchiveFormat::oci, ArchiveFormat::docker}) {
        TempDir tmp;
        auto cache = BlobCache::open(tmp.path / "cache");
        REQUIRE(cache);
        auto image = sample_image(*cache);
        auto out = tmp.path / "app.tar";
        REQUIRE(write_archive(out, format, image, *cache));
        // The 3000-byte layer's bytes swapped for others of the same size, under the same name:
        // a fresh cache refuses that entry; one holding the layer never reads it.
        std::string bytes = slurp(out.string());
        auto at = bytes.find(std::string(3000, 'L'));
        REQUIRE(at != std::string::npos);
        bytes.replace(at, 3000, std::string(3000, 'M'));
        write_bytes(out, bytes);
        auto fresh = BlobCache::open(tmp.path / "fresh");
        REQUIRE(fresh);
        CHECK_FALSE(read_archive(out, *fresh));

        auto back = read_archive(out, *cache);
        REQUIRE_MESSAGE(back, back.error().message);
        const auto& layers = back->parsed.layers;
        REQUIRE(layers.size() == 2);
        CHECK(layers[0].media_type == (format == ArchiveFormat::docker ? media::oci_layer_gzip : layers[0].media_type));
        CHECK(cache->read_small(layers[1].digest) == std::string(3000, 'L'));
        CHECK(back->config == image.config);
    }
}

TEST_CASE("a blob whose bytes do not match its name is refused and not cached") {
    TempDir tmp;
    auto cache = BlobCache::open(tmp.path / "cache");
    REQUIRE(cache);
    std::string claimed = digest_of("the real bytes");
    write_bytes(tmp.path / "bad.tar", tar_of({{"oci-layout", "{}"}, {"blobs/sha256/" + hex_of(claimed), "other bytes"}}));
    auto r = read_archive(tmp.path / "bad.tar", *cache);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find(hex_of(claimed)) != std::string::npos);
    CHECK_FALSE(cache->has(claimed));
    CHECK_FALSE(cache->has(digest_of("other bytes")));
}

TEST_CASE("an archive whose manifest names a layer it does not hold is refused") {
    TempDir tmp;
    auto cache = BlobCache::open(tmp.path / "cache");
    REQUIRE(cache);
    std::string config = "{}";
    std::string manifest = nlohmann::json::array(
        {{{"Config", hex_of(digest_of(config)) + ".json"}, {"Layers", {"missing.tar"}}}}).dump();
    write_bytes(tmp.path / "a.tar", tar_of({{"manifest.json", manifest}, {hex_of(digest_of(config)) + ".json", config}}));
    auto r = read_archive(tmp.path / "a.tar", *cache);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("missing") != std::string::npos);
}

TEST_CASE("a file that is not an image archive is refused with its name") {
    TempDir tmp;
    auto cache = BlobCache::open(tmp.path / "cache");
    REQUIRE(cache);
    write_bytes(tmp.path / "plain.tar", tar_of({{"README", "hello"}}));
    auto r = read_archive(tmp.path / "plain.tar", *cache);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("plain.tar") != std::string::npos);
    write_bytes(tmp.path / "junk", std::string(2048, 'j'));
    r = read_archive(tmp.path / "junk", *cache);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("junk") != std::string::npos);
}

TEST_CASE("a damaged cached layer fails the write and leaves no file behind") {
    TempDir tmp;
    auto cache = BlobCache::open(tmp.path / "cache");
    REQUIRE(cache);
    auto image = sample_image(*cache);
    write_bytes(cache->path_of(image.parsed.layers[1].digest), std::string(3000, 'X'));
    fs::create_directory(tmp.path / "out");
    auto r = write_archive(tmp.path / "out" / "app.tar", ArchiveFormat::oci, image, *cache);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("damaged") != std::string::npos);
    CHECK(names_in(tmp.path / "out").empty());
}

TEST_CASE("side files of a docker-archive (VERSION, <id>/json) are not left in the cache") {
    TempDir tmp;
    auto cache = BlobCache::open(tmp.path / "cache");
    REQUIRE(cache);
    std::string layer(5000, 'l'), config = R"({"os":"linux","architecture":"amd64"})";
    std::string layer_name = hex_of(digest_of(layer)) + ".tar";
    std::string manifest = nlohmann::json::array(
        {{{"Config", hex_of(digest_of(config)) + ".json"}, {"RepoTags", {"x:1"}}, {"Layers", {layer_name}}}}).dump();
    write_bytes(tmp.path / "p.tar", tar_of({{layer_name, layer},
                                            {hex_of(digest_of(config)) + ".json", config},
                                            {"abc/VERSION", "1.0"},
                                            {"abc/json", R"({"id":"abc"})"},
                                            {"manifest.json", manifest}}));
    auto r = read_archive(tmp.path / "p.tar", *cache);
    REQUIRE_MESSAGE(r, r.error().message);
    CHECK(r->parsed.layers.at(0).digest == digest_of(layer));
    CHECK(r->config == config);
    CHECK_FALSE(cache->has(digest_of("1.0")));
    CHECK_FALSE(cache->has(digest_of(R"({"id":"abc"})")));
    auto blobs = cache->list();
    REQUIRE(blobs);
    CHECK(blobs->size() == 3);  // layer, config, the manifest made for it
}
