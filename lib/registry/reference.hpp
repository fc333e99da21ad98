// Image references as docker and podman read them: [HOST[:PORT]/]PATH[:TAG][@sha256:HEX].
// A name without a host is on docker.io (one-part names under library/); no tag is "latest".
#pragma once
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cc {

struct ImageRef {
    std::string registry;    // "docker.io", "reg.lab:5000", "10.0.0.1:5000"
    std::string repository;  // "library/ubuntu", "team/cuda"
    std::string tag;         // "latest" when neither tag nor digest was given
    std::string digest;      // "sha256:<64 hex>" or ""

    // The tag or the digest: what a manifest is fetched by (the digest wins).
    const std::string& reference() const { return digest.empty() ? tag : digest; }
    // The canonical full form: "reg.lab:5000/team/cuda:12.4" or ".../cuda@sha256:…".
    std::string to_string() const;
};

// Refuses what a registry would refuse (upper case in a path, empty parts, a
// digest that is not sha256:<64 lowercase hex>), naming the bad reference.
Result<ImageRef> parse_image_ref(std::string_view text);

// "sha256:" followed by 64 lowercase hex digits: the only digest form accepted anywhere.
bool is_sha256_digest(std::string_view digest);

}  // namespace cc
