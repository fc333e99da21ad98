#include <doctest/doctest.h>

#include <cstdint>
#include <fstream>
#include <sstream>

#include "core/base64.hpp"
#include "core/sha256.hpp"
#include "keys/public_key.hpp"
#include "ssh/host_key.hpp"
#include "temp_dir.hpp"

using namespace cc;

namespace {

struct Generated {
    std::string line;         // the .pub file's content
    std::string fingerprint;  // ssh-keygen -lf's second field
};

Generated generate(const TempDir& dir, const std::string& name, const std::string& args) {
    std::string path = dir.file(name);
    REQUIRE(std::system(("ssh-keygen -q " + args + " -N '' -C 'user@host with spaces' -f " + path).c_str()) == 0);
    REQUIRE(std::system(("ssh-keygen -lf " + path + ".pub | cut -d' ' -f2 > " + path + ".fp").c_str()) == 0);
    Generated g;
    std::ostringstream pub;
    pub << std::ifstream(path + ".pub").rdbuf();
    g.line = pub.str();
    std::ifstream(path + ".fp") >> g.fingerprint;
    return g;
}

// SSH wire format pieces for hand-made key blobs.
std::string wire(std::string_view bytes) {
    std::string out;
    auto n = static_cast<std::uint32_t>(bytes.size());
    for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((n >> shift) & 0xff);
    return out + std::string(bytes);
}

std::string rsa_blob(std::size_t modulus_bytes) {
    std::string n = std::string(1, '\0') + std::string(1, '\xc3') + std::string(modulus_bytes - 1, '\x5a');
    return wire("ssh-rsa") + wire(std::string("\x01\x00\x01", 3)) + wire(n);
}

std::string line_for(const std::string& type, const std::string& blob) { return type + " " + base64_encode(blob); }

std::string error_of(std::string_view line) {
    auto key = parse_public_key(line);
    REQUIRE_FALSE(key);
    CHECK(key.error().kind == ErrorKind::invalid_input);
    return key.error().message;
}

}  // namespace

TEST_CASE("public key fingerprints match ssh-keygen -lf for ed25519, ecdsa and rsa keys") {
    TempDir dir;
    const std::pair<const char*, const char*> kinds[] = {
        {"ed", "-t ed25519"},           {"ec256", "-t ecdsa -b 256"}, {"ec384", "-t ecdsa -b 384"},
        {"ec521", "-t ecdsa -b 521"},   {"rsa", "-t rsa -b 2048"},    {"rsa3072", "-t rsa -b 3072"},
    };
    for (const auto& [name, args] : kinds) {
        CAPTURE(args);
        Generated g = generate(dir, name, args);
        auto key = parse_public_key(g.line);
        REQUIRE(key);
        CHECK(key->fingerprint == g.fingerprint);
        CHECK(key->comment == "user@host with spaces");
        CHECK(g.line.starts_with(key->type + " " + key->base64 + " "));
    }
}

TEST_CASE("public key type and comment are read from the line, and surrounding whitespace is ignored") {
    TempDir dir;
    Generated g = generate(dir, "ed", "-t ed25519");
    auto key = parse_public_key(g.line);
    REQUIRE(key);
    CHECK(key->type == "ssh-ed25519");
    auto bare = parse_public_key("  \t" + key->type + "   " + key->base64 + "\r\n");
    REQUIRE(bare);
    CHECK(bare->comment.empty());
    CHECK(bare->fingerprint == g.fingerprint);
}

TEST_CASE("an RSA key shorter than 2048 bits is refused with its size") {
    TempDir dir;
    Generated g = generate(dir, "rsa1024", "-t rsa -b 1024");
    CHECK(error_of(g.line) == "public key: RSA key of 1024 bits is too short (minimum 2048)");
    CHECK(error_of(line_for("ssh-rsa", rsa_blob(255))) ==
          "public key: RSA key of 2040 bits is too short (minimum 2048)");
    CHECK(parse_public_key(line_for("ssh-rsa", rsa_blob(256))));
}

TEST_CASE("unknown and obsolete key types are refused by name") {
    CHECK(error_of("ssh-foo AAAAB3NzaC1yc2E= me") == "public key: type \"ssh-foo\" is not supported");
    CHECK(error_of("ssh-dss AAAAB3NzaC1kc3M= me").find("\"ssh-dss\" is obsolete") != std::string::npos);
    CHECK(error_of("from=\"x\" ssh-ed25519 AAAA") == "public key: type \"from=\"x\"\" is not supported");
}

TEST_CASE("a public key with bad base64, no key data, or empty input is refused") {
    CHECK(error_of("ssh-ed25519 AAAA!!!! me") == "public key: not valid base64");
    CHECK(error_of("ssh-ed25519 AAAAC3Nza me") == "public key: not valid base64");
    CHECK(error_of("") == "public key: empty input");
    CHECK(error_of(" \t\r\n") == "public key: empty input");
    CHECK(error_of("ssh-ed25519").find("missing") != std::string::npos);
}

TEST_CASE("a key whose blob names another type than the line declares is refused") {
    CHECK(error_of(line_for("ssh-ed25519", rsa_blob(256))) == "public key: declares ssh-ed25519 but contains ssh-rsa");
    std::string p384 = wire("ecdsa-sha2-nistp384") + wire("nistp384") + wire("\x04" + std::string(96, 'q'));
    CHECK(error_of(line_for("ecdsa-sha2-nistp256", p384)) ==
          "public key: declares ecdsa-sha2-nistp256 but contains ecdsa-sha2-nistp384");
    std::string wrong_curve = wire("ecdsa-sha2-nistp256") + wire("nistp384") + wire("\x04" + std::string(64, 'q'));
    CHECK(error_of(line_for("ecdsa-sha2-nistp256", wrong_curve)).find("curve is nistp384") != std::string::npos);
}

TEST_CASE("malformed key material is refused: short ed25519, truncated and trailing data") {
    CHECK(error_of(line_for("ssh-ed25519", wire("ssh-ed25519") + wire(std::string(31, 'k')))) ==
          "public key: ed25519 key is 31 bytes, expected 32");
    CHECK(error_of(line_for("ssh-ed25519", wire("ssh-ed25519"))).find("truncated") != std::string::npos);
    CHECK(error_of(line_for("ssh-ed25519", wire("ssh-ed25519") + wire(std::string(32, 'k')) + "x"))
              .find("trailing") != std::string::npos);
    CHECK(error_of(line_for("ssh-rsa", rsa_blob(256).substr(0, 40))).find("truncated") != std::string::npos);
}

TEST_CASE("security key types are accepted with their application string") {
    std::string sk_ed = wire("sk-ssh-ed25519@openssh.com") + wire(std::string(32, 'k')) + wire("ssh:");
    auto ed = parse_public_key(line_for("sk-ssh-ed25519@openssh.com", sk_ed) + " yubikey");
    REQUIRE(ed);
    CHECK(ed->fingerprint == sha256_fingerprint(sk_ed));
    CHECK(ed->comment == "yubikey");
    std::string sk_ec =
        wire("sk-ecdsa-sha2-nistp256@openssh.com") + wire("nistp256") + wire("\x04" + std::string(64, 'q')) + wire("ssh:");
    CHECK(parse_public_key(line_for("sk-ecdsa-sha2-nistp256@openssh.com", sk_ec)));
}

TEST_CASE("more than one key line is refused") {
    TempDir dir;
    Generated a = generate(dir, "a", "-t ed25519");
    Generated b = generate(dir, "b", "-t ed25519");
    CHECK(error_of(a.line + b.line).find("more than one line") != std::string::npos);
    CHECK(parse_public_key(a.line + "\n\n"));
}

TEST_CASE("key types sshd recognises include ssh-dss and certificates") {
    CHECK(is_ssh_key_type("ssh-ed25519"));
    CHECK(is_ssh_key_type("ssh-dss"));
    CHECK(is_ssh_key_type("ssh-rsa-cert-v01@openssh.com"));
    CHECK(is_ssh_key_type("sk-ssh-ed25519-cert-v01@openssh.com"));
    CHECK_FALSE(is_ssh_key_type("ssh-foo"));
    CHECK_FALSE(is_ssh_key_type("no-pty"));
}
