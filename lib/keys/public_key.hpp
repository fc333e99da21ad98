// OpenSSH public keys as users hand them to `clusterctl key add`: one line,
// checked hard enough that a key we push is one sshd will accept.
#pragma once
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cc {

struct PublicKey {
    std::string type;         // "ssh-ed25519"
    std::string base64;       // the key blob, as written in the line
    std::string comment;      // may be empty
    std::string fingerprint;  // "SHA256:…", as ssh-keygen -lf prints it
};

// Any type sshd recognises at the start of a key (ssh-dss and certificates
// included), so that authorized_keys lines using them are seen as keys.
bool is_ssh_key_type(std::string_view type);

// One OpenSSH public key line ("ssh-ed25519 AAAA… comment"). Refuses unknown or
// obsolete types (ssh-dss), bad base64, a blob whose embedded type differs from
// the declared one, RSA under 2048 bits, malformed key material, and more than
// one line.
Result<PublicKey> parse_public_key(std::string_view line);

}  // namespace cc
