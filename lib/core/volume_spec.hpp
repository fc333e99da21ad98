// `--volume SRC:DST[:ro]`: a node path mounted into an instance, as user records keep
// them and podman/docker's -v take them.
#pragma once
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cc {

struct VolumeMount {
    std::string src;  // absolute path on the node
    std::string dst;  // absolute path in the container
    bool read_only = false;
    bool operator==(const VolumeMount&) const = default;
};

// "SRC:DST", "SRC:DST:ro" or "SRC:DST:rw". Both paths absolute, without ':' (the runtimes
// split -v on it), ',' (--mount's separator), control characters, or "..": invalid_input
// naming the value.
Result<VolumeMount> parse_volume(std::string_view text);
std::string format_volume(const VolumeMount& volume);  // parses back with parse_volume

}  // namespace cc
