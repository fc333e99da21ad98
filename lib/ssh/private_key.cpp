#include "ssh/private_key.hpp"

#include <cstdint>
#include <fstream>
#include <sstream>
#include <utility>

#include "core/base64.hpp"

namespace cc {

namespace {

// Reads one SSH wire-format string (uint32 length + bytes) at `pos`.
bool read_string(const std::string& blob, std::size_t& pos, std::string& out) {
    if (pos + 4 > blob.size()) return false;
    std::uint32_t n = (std::uint32_t(std::uint8_t(blob[pos])) << 24) | (std::uint32_t(std::uint8_t(blob[pos + 1])) << 16) |
                      (std::uint32_t(std::uint8_t(blob[pos + 2])) << 8) | std::uint32_t(std::uint8_t(blob[pos + 3]));
    pos += 4;
    if (pos + n > blob.size()) return false;
    out = blob.substr(pos, n);
    pos += n;
    return true;
}

// openssh-key-v1: magic, cipher, kdf, kdf options, key count, public key blob.
void inspect_openssh_body(const std::string& base64_body, PrivateKeyInfo& info) {
    auto blob = base64_decode(base64_body);
    static const std::string magic("openssh-key-v1\0", 15);
    if (!blob || blob->compare(0, magic.size(), magic) != 0) return;
    std::size_t pos = magic.size();
    std::string cipher, kdf, kdf_options, public_key, type;
    if (!read_string(*blob, pos, cipher) || !read_string(*blob, pos, kdf) || !read_string(*blob, pos, kdf_options))
        return;
    info.encrypted = cipher != "none";
    pos += 4;  // number of keys
    std::size_t key_pos = 0;
    if (!read_string(*blob, pos, public_key) || !read_string(public_key, key_pos, type)) return;
    info.type = type;
    info.public_blob = std::move(public_key);
}

}  // namespace

PrivateKeyInfo inspect_private_key(const std::string& path) {
    PrivateKeyInfo info;
    std::ifstream file(path);
    if (!file) return info;
    info.readable = true;
    std::string line, body;
    std::getline(file, line);
    if (line.find("BEGIN RSA PRIVATE KEY") != std::string::npos) info.type = "ssh-rsa";
    else if (line.find("BEGIN EC PRIVATE KEY") != std::string::npos) info.type = "ecdsa";
    else if (line.find("BEGIN OPENSSH PRIVATE KEY") != std::string::npos) {
        while (std::getline(file, line) && line.find("END OPENSSH") == std::string::npos) body += line;
        inspect_openssh_body(body, info);
        return info;
    }
    // PEM keys say "Proc-Type: 4,ENCRYPTED" when protected.
    while (std::getline(file, line))
        if (line.find("ENCRYPTED") != std::string::npos) info.encrypted = true;
    return info;
}

std::string public_key_blob(const std::string& path, const PrivateKeyInfo& info) {
    if (!info.public_blob.empty()) return info.public_blob;
    std::ifstream pub(path + ".pub");  // "type base64 comment"
    std::string type, base64;
    if (!(pub >> type >> base64)) return {};
    auto blob = base64_decode(base64);
    return blob ? *blob : std::string();
}

}  // namespace cc
