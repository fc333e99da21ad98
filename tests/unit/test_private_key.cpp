#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

#include "core/sha256.hpp"
#include "ssh/host_key.hpp"
#include "ssh/private_key.hpp"
#include "temp_dir.hpp"

using namespace cc;

namespace {

// Generates DIR/name and DIR/name.pub; returns ssh-keygen -lf's fingerprint.
std::string generate(const TempDir& dir, const std::string& name, const std::string& args,
                     const std::string& passphrase = "") {
    std::string path = dir.file(name);
    REQUIRE(std::system(("ssh-keygen -q " + args + " -N '" + passphrase + "' -f " + path).c_str()) == 0);
    REQUIRE(std::system(("ssh-keygen -lf " + path + ".pub | cut -d' ' -f2 > " + path + ".fp").c_str()) == 0);
    std::string fingerprint;
    std::ifstream(path + ".fp") >> fingerprint;
    REQUIRE(fingerprint.starts_with("SHA256:"));
    return fingerprint;
}

}  // namespace

TEST_CASE("inspect_private_key: the public blob of an ed25519 key") {
    TempDir dir;
    std::string fingerprint = generate(dir, "k", "-t ed25519");
    PrivateKeyInfo info = inspect_private_key(dir.file("k"));
    CHECK(info.readable);
    CHECK(info.type == "ssh-ed25519");
    CHECK_FALSE(info.encrypted);
    REQUIRE_FALSE(info.public_blob.empty());
    CHECK(sha256_fingerprint(info.public_blob) == fingerprint);
}

TEST_CASE("inspect_private_key: the public blob of an ecdsa key") {
    TempDir dir;
    std::string fingerprint = generate(dir, "k", "-t ecdsa -b 256");
    PrivateKeyInfo info = inspect_private_key(dir.file("k"));
    CHECK(info.type == "ecdsa-sha2-nistp256");
    CHECK_FALSE(info.encrypted);
    CHECK(sha256_fingerprint(info.public_blob) == fingerprint);
}

TEST_CASE("inspect_private_key: an encrypted key still shows its public blob") {
    TempDir dir;
    std::string fingerprint = generate(dir, "k", "-t ed25519", "pass");
    PrivateKeyInfo info = inspect_private_key(dir.file("k"));
    CHECK(info.encrypted);
    CHECK(info.type == "ssh-ed25519");
    CHECK(sha256_fingerprint(info.public_blob) == fingerprint);
}

TEST_CASE("inspect_private_key: no public blob for a PEM key or a missing file") {
    TempDir dir;
    std::string path = dir.file("k");
    REQUIRE(std::system(("ssh-keygen -q -t ecdsa -b 256 -m PEM -N '' -f " + path).c_str()) == 0);
    PrivateKeyInfo pem = inspect_private_key(path);
    CHECK(pem.readable);
    CHECK(pem.public_blob.empty());

    PrivateKeyInfo missing = inspect_private_key(dir.file("absent"));
    CHECK_FALSE(missing.readable);
    CHECK(missing.public_blob.empty());
}
