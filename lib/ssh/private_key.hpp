// Just enough of OpenSSH/PEM private key files to explain auth failures
// before libssh2 turns them into a generic "unable to authenticate".
#pragma once
#include <string>

namespace cc {

struct PrivateKeyInfo {
    bool readable = false;
    std::string type;        // "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", or "" if unknown
    bool encrypted = false;  // passphrase-protected
    // The raw public key blob (SSH wire format) stored in the clear in an
    // OpenSSH-format key file, encrypted or not; "" for PEM keys.
    std::string public_blob;
};

PrivateKeyInfo inspect_private_key(const std::string& path);

// The public half of a private key file, as a raw blob: from an OpenSSH key's
// header, else from FILE.pub beside it, else "". How clusterctl tells which
// key it logged in with, and finds a key's private file by fingerprint.
std::string public_key_blob(const std::string& path, const PrivateKeyInfo& info);

}  // namespace cc
