// A server's SSH host key as clusterctl pins it: the value lib/ssh checks and
// lib/inventory stores, so neither needs the other.
#pragma once
#include <string>

namespace cc {

struct HostKey {
    std::string type;         // "ssh-ed25519", "ecdsa-sha2-nistp256", …
    std::string base64;       // the key blob as in known_hosts
    std::string fingerprint;  // "SHA256:…" as ssh-keygen -lf prints it
};

}  // namespace cc
