#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

#include "core/base64.hpp"
#include "core/sha256.hpp"
#include "temp_dir.hpp"

using namespace cc;

TEST_CASE("sha256_hex is what sha256sum prints") {
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("bytes hashed in chunks give the digest of the whole") {
    std::string whole(200'000, '\0');
    for (std::size_t i = 0; i < whole.size(); ++i) whole[i] = static_cast<char>(i * 7919 % 251);
    Sha256 chunked;
    for (std::size_t at = 0; at < whole.size(); at += 65'521) chunked.update(std::string_view(whole).substr(at, 65'521));
    CHECK(chunked.hex_digest() == sha256_hex(whole));
    CHECK(Sha256().update("ab").update("c").hex_digest() == sha256_hex("abc"));
}

TEST_CASE("fingerprints match what ssh-keygen -lf prints") {
    TempDir dir;
    std::string path = dir.file("id");
    REQUIRE(std::system(("ssh-keygen -q -t ed25519 -N '' -f " + path).c_str()) == 0);
    REQUIRE(std::system(("ssh-keygen -lf " + path + ".pub | cut -d' ' -f2 > " + path + ".fp").c_str()) == 0);
    std::string pub, type, blob64, expected;
    std::ifstream(path + ".pub") >> type >> blob64;
    std::ifstream(path + ".fp") >> expected;
    auto blob = base64_decode(blob64);
    REQUIRE(blob);
    CHECK(sha256_fingerprint(*blob) == expected);
}
