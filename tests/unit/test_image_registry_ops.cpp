#include <doctest/doctest.h>

#include "ops/image_registry.hpp"

using namespace cc;

TEST_CASE("archive formats are named as podman and skopeo name them, and nothing else") {
    CHECK(parse_archive_format("docker-archive") == ArchiveFormat::docker);
    CHECK(parse_archive_format("oci-archive") == ArchiveFormat::oci);
    auto bad = parse_archive_format("tar");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("\"tar\"") != std::string::npos);
}

TEST_CASE("a platform is OS/ARCH with an optional variant; the empty string is this machine's") {
    auto p = parse_platform("linux/arm64/v8");
    REQUIRE(p);
    CHECK(p->os == "linux");
    CHECK(p->architecture == "arm64");
    CHECK(p->variant == "v8");
    p = parse_platform("linux/amd64");
    REQUIRE(p);
    CHECK(p->variant.empty());
    auto here = parse_platform("");
    REQUIRE(here);
    CHECK_FALSE(here->architecture.empty());
    for (const char* bad : {"linux", "/amd64", "linux/", "linux/arm64/", "linux/arm64/v8/x"}) {
        auto r = parse_platform(bad);
        CHECK_MESSAGE(!r, bad);
    }
}
