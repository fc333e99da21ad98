#include <doctest/doctest.h>

#include <string>

#include "registry/manifest.hpp"

using namespace cc;

namespace {

std::string digest_of(char c) { return "sha256:" + std::string(64, c); }

std::string oci_manifest_json() {
    return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
      "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":")" + digest_of('a') + R"(","size":12},
      "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" + digest_of('b') + R"(","size":100},
                {"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":")" + digest_of('c') + R"(","size":200}]})";
}

std::string index_json() {
    return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
      {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + digest_of('1') + R"(","size":10,
       "platform":{"os":"linux","architecture":"amd64"}},
      {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + digest_of('2') + R"(","size":10,
       "platform":{"os":"linux","architecture":"arm","variant":"v7"}},
      {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + digest_of('3') + R"(","size":10,
       "platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
      {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + digest_of('4') + R"(","size":10,
       "platform":{"os":"unknown","architecture":"unknown"}}]})";
}

}  // namespace

TEST_CASE("an OCI manifest gives its config and layers in order") {
    auto parsed = parse_manifest(RawManifest{std::string(media::oci_manifest), "", oci_manifest_json()});
    REQUIRE(parsed);
    auto& manifest = std::get<ImageManifest>(*parsed);
    CHECK(manifest.media_type == media::oci_manifest);
    CHECK(manifest.config.digest == digest_of('a'));
    CHECK(manifest.config.size == 12);
    REQUIRE(manifest.layers.size() == 2);
    CHECK(manifest.layers[1].digest == digest_of('c'));
    CHECK(manifest.layers[1].size == 200);
}

TEST_CASE("a generic content type is read by the document's own mediaType") {
    auto parsed = parse_manifest(RawManifest{"application/json", "", index_json()});
    REQUIRE(parsed);
    CHECK(std::get<ImageIndex>(*parsed).manifests.size() == 4);
}

TEST_CASE("schema 1, unknown types, non-sha256 digests and oversized manifests are refused") {
    auto schema1 = parse_manifest(RawManifest{"", "", R"({"schemaVersion":1,"name":"x","fsLayers":[]})"});
    REQUIRE_FALSE(schema1);
    CHECK(schema1.error().message.find("schema 1") != std::string::npos);
    CHECK_FALSE(parse_manifest(RawManifest{"application/vnd.example+json", "", R"({"mediaType":"application/vnd.example+json"})"}));
    std::string md5 = oci_manifest_json();
    md5.replace(md5.find(digest_of('b')), 71, "md5:0123");
    CHECK_FALSE(parse_manifest(RawManifest{"", "", md5}));
    CHECK_FALSE(parse_manifest(RawManifest{"", "", "[1,2]"}));
    CHECK_FALSE(parse_manifest(RawManifest{"", "", std::string(5 << 20, ' ')}));
    std::string no_size = oci_manifest_json();
    no_size.replace(no_size.find("\"size\":100"), 10, "\"size\":-1");
    CHECK_FALSE(parse_manifest(RawManifest{"", "", no_size}));
}

TEST_CASE("the node's machine name maps to the OCI platform") {
    CHECK(platform_from_machine("x86_64").to_string() == "linux/amd64");
    CHECK(platform_from_machine("aarch64").to_string() == "linux/arm64/v8");
    CHECK(platform_from_machine("armv7l").to_string() == "linux/arm/v7");
    CHECK(platform_from_machine("ppc64le").to_string() == "linux/ppc64le");
}

TEST_CASE("platform selection matches os and architecture, and the variant when both name one") {
    auto parsed = parse_manifest(RawManifest{std::string(media::oci_index), "", index_json()});
    REQUIRE(parsed);
    auto& index = std::get<ImageIndex>(*parsed);
    CHECK(select_platform(index, platform_from_machine("x86_64"))->digest == digest_of('1'));
    CHECK(select_platform(index, platform_from_machine("aarch64"))->digest == digest_of('3'));
    CHECK(select_platform(index, Platform{"linux", "arm64", ""})->digest == digest_of('3'));
    CHECK(select_platform(index, platform_from_machine("armv7l"))->digest == digest_of('2'));
    auto missing = select_platform(index, platform_from_machine("armv6l"));
    REQUIRE_FALSE(missing);
    CHECK(missing.error().kind == ErrorKind::not_found);
    CHECK(missing.error().message == "the image has no linux/arm/v6 manifest (it has: linux/amd64, linux/arm/v7, linux/arm64/v8)");
}
