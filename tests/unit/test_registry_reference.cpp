#include <doctest/doctest.h>

#include <vector>

#include "registry/reference.hpp"

using namespace cc;

namespace {
const std::string kHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
}

TEST_CASE("a one-part name is docker.io/library/NAME:latest") {
    auto ref = parse_image_ref("ubuntu");
    REQUIRE(ref);
    CHECK(ref->registry == "docker.io");
    CHECK(ref->repository == "library/ubuntu");
    CHECK(ref->tag == "latest");
    CHECK(ref->digest.empty());
    CHECK(ref->to_string() == "docker.io/library/ubuntu:latest");
}

TEST_CASE("a first component with a dot, a port or localhost is the registry") {
    auto ref = parse_image_ref("reg.lab:5000/team/cuda:12.4");
    REQUIRE(ref);
    CHECK(ref->registry == "reg.lab:5000");
    CHECK(ref->repository == "team/cuda");
    CHECK(ref->tag == "12.4");
    CHECK(parse_image_ref("localhost/x")->registry == "localhost");
    CHECK(parse_image_ref("10.0.0.1:5000/x")->registry == "10.0.0.1:5000");
    auto plain = parse_image_ref("team/cuda");
    CHECK(plain->registry == "docker.io");
    CHECK(plain->repository == "team/cuda");
    CHECK(parse_image_ref("index.docker.io/library/debian")->registry == "docker.io");
}

TEST_CASE("a digest reference is fetched by digest and keeps no default tag") {
    auto ref = parse_image_ref("reg.lab/team/cuda@sha256:" + kHex);
    REQUIRE(ref);
    CHECK(ref->tag.empty());
    CHECK(ref->reference() == "sha256:" + kHex);
    CHECK(ref->to_string() == "reg.lab/team/cuda@sha256:" + kHex);
    auto both = parse_image_ref("reg.lab/team/cuda:1@sha256:" + kHex);
    REQUIRE(both);
    CHECK(both->tag == "1");
    CHECK(both->reference() == "sha256:" + kHex);
}

TEST_CASE("references a registry would refuse are refused, naming the reference") {
    for (const std::string& bad : std::vector<std::string>{"", "Ubuntu", "team//cuda", "team/cuda:", "reg.lab:5000/", "a/-b", "x@sha256:abc",
                            "x@md5:" + kHex, "x@sha256:" + std::string(64, 'A'), "x:-tag", "reg..lab/x",
                            "reg.lab:port/x", "a/b:" + std::string(129, 't')}) {
        auto ref = parse_image_ref(bad);
        CHECK_MESSAGE(!ref, bad);
        if (!ref) {
            CHECK(ref.error().kind == ErrorKind::invalid_input);
            CHECK(ref.error().message.find("\"" + bad.substr(0, 20)) != std::string::npos);
        }
    }
}

TEST_CASE("path separators of the distribution grammar are accepted") {
    for (std::string good : {"a.b/c_d/e__f/g-h/i---j", "reg.lab/a/b/c/d:v1.2-rc_3", "[::1]:5000/x"}) CHECK_MESSAGE(parse_image_ref(good), good);
    CHECK_FALSE(parse_image_ref("a___b"));
    CHECK_FALSE(parse_image_ref("a._b"));
}
