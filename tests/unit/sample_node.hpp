// A registered node as the inventory tests need one: only what the schema requires.
#pragma once
#include <string>

#include "inventory/nodes.hpp"

inline cc::Node sample_node(const std::string& name) {
    cc::Node n;
    n.name = name;
    n.host = "10.0.0.1";
    n.user = "root";
    n.host_key = {"ssh-ed25519", "AAAA", "SHA256:host-" + name};
    return n;
}
