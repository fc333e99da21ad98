// The inventory's model of a registered node.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "facts/facts.hpp"

namespace cc {

struct HostKey {
    std::string type;         // "ssh-ed25519", "ecdsa-sha2-nistp256", …
    std::string base64;       // the key blob as in known_hosts
    std::string fingerprint;  // "SHA256:…" as ssh-keygen -lf prints it
};

struct Node {
    std::string name;
    std::string host;
    int port = 22;
    std::string user;      // remote login user
    std::string identity;  // private key file pinned to this node, or ""
    HostKey host_key;
    std::map<std::string, std::string> labels;
    std::vector<std::string> groups;
    std::optional<Facts> facts;
    std::string created_at;
};

// A container clusterctl started for a user; its container name is `name`.
struct InstanceRecord {
    std::string name;
    std::string node;
    std::string image;
    std::string owner;
};

}  // namespace cc
