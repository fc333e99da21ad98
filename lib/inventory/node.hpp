// The inventory's model of a registered node.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/host_key_value.hpp"
#include "facts/facts.hpp"

namespace cc {

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

namespace cc {

// A public key registered with `key add`.
struct KeyRecord {
    std::string name;
    std::string type;         // "ssh-ed25519"
    std::string base64;       // the key blob as written in authorized_keys
    std::string fingerprint;  // "SHA256:…" as ssh-keygen -lf prints it; unique
    std::string comment;
    std::string owner;        // the person it belongs to, "" if not given
    std::string created_at;
};

// One key written into one remote user's managed block on one node.
struct KeyPlacement {
    std::string key;          // KeyRecord::name
    std::string node;
    std::string remote_user;
    std::string options;      // authorized_keys options, "" for none
    std::string pushed_at;
};

// A (node, remote user) whose authorized_keys clusterctl manages: kept even
// when its last key is revoked, so sync and audit still visit it.
struct KeyAccount {
    std::string node;
    std::string remote_user;
};

}  // namespace cc
