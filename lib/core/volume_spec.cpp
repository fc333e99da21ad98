#include "core/volume_spec.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/strings.hpp"

namespace cc {

namespace {

// The runtimes read a -v path up to the next ':'; a "..'" component is refused so what
// an admin reads in `user show` is the directory mounted.
bool usable_path(std::string_view path) {
    if (!path.starts_with('/')) return false;
    if (std::any_of(path.begin(), path.end(),
                    [](char c) { return c == ':' || c == ',' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
        return false;
    for (std::string_view part : split(path, '/'))
        if (part == "..") return false;
    return true;
}

}  // namespace

Result<VolumeMount> parse_volume(std::string_view text) {
    auto bad = [&](std::string_view why) {
        return fail(ErrorKind::invalid_input, fmt::format("volume \"{}\": {}", text, why));
    };
    auto parts = split(text, ':');
    if (parts.size() < 2 || parts.size() > 3) return bad("expected SRC:DST or SRC:DST:ro");
    VolumeMount volume{std::string(parts[0]), std::string(parts[1]), false};
    if (parts.size() == 3) {
        if (parts[2] == "ro") volume.read_only = true;
        else if (parts[2] != "rw") return bad("the mode must be ro or rw");
    }
    if (!usable_path(volume.src) || !usable_path(volume.dst))
        return bad("paths must be absolute, without ':', ',', '..' or control characters");
    return volume;
}

std::string format_volume(const VolumeMount& volume) {
    return fmt::format("{}:{}{}", volume.src, volume.dst, volume.read_only ? ":ro" : "");
}

}  // namespace cc
