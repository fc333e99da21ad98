#include "registry/reference.hpp"

#include <fmt/format.h>

#include <cctype>

namespace cc {

namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_hex_lower(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

// One path component: [a-z0-9]+ ((. | _ | __ | -+) [a-z0-9]+)*, as the distribution grammar has it.
bool valid_path_component(std::string_view part) {
    if (part.empty() || !is_lower_alnum(part.front()) || !is_lower_alnum(part.back())) return false;
    for (std::size_t i = 0; i < part.size();) {
        if (is_lower_alnum(part[i])) {
            ++i;
            continue;
        }
        std::size_t run = i;
        while (run < part.size() && !is_lower_alnum(part[run])) ++run;
        std::string_view sep = part.substr(i, run - i);
        bool dashes = sep.find_first_not_of('-') == std::string_view::npos;
        if (!(sep == "." || sep == "_" || sep == "__" || dashes)) return false;
        i = run;
    }
    return true;
}

// host[:port]; a host is dot-separated labels of letters, digits and '-', or a bracketed IPv6 address.
bool valid_registry(std::string_view text) {
    std::string_view host = text;
    std::string_view port;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close == 1) return false;
        for (char c : text.substr(1, close - 1))
            if (!(is_hex_lower(c) || (c >= 'A' && c <= 'F') || c == ':' || c == '.')) return false;
        std::string_view rest = text.substr(close + 1);
        if (rest.empty()) return true;
        if (rest.front() != ':') return false;
        port = rest.substr(1);
        host = {};
    } else if (auto colon = text.rfind(':'); colon != std::string_view::npos) {
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
        if (port.empty()) return false;
    }
    if (text.front() != '[') {
        if (host.empty() || host.front() == '.' || host.back() == '.' || host.find("..") != std::string_view::npos)
            return false;
        for (char c : host)
            if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-')) return false;
    }
    if (port.size() > 5) return false;
    for (char c : port)
        if (c < '0' || c > '9') return false;
    return true;
}

bool valid_tag(std::string_view tag) {
    if (tag.empty() || tag.size() > 128) return false;
    auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    if (!word(tag.front())) return false;
    for (char c : tag)
        if (!(word(c) || c == '.' || c == '-')) return false;
    return true;
}

// The first component names a registry when it looks like a host (a dot, a port, or localhost),
// the rule docker and podman both use.
bool looks_like_registry(std::string_view part) {
    return part.find('.') != std::string_view::npos || part.find(':') != std::string_view::npos ||
           part == "localhost" || (!part.empty() && part.front() == '[');
}

}  // namespace

bool is_sha256_digest(std::string_view digest) {
    if (digest.size() != 71 || digest.substr(0, 7) != "sha256:") return false;
    for (char c : digest.substr(7))
        if (!is_hex_lower(c)) return false;
    return true;
}

std::string ImageRef::to_string() const {
    std::string text = registry + "/" + repository;
    if (!tag.empty()) text += ":" + tag;
    if (!digest.empty()) text += "@" + digest;
    return text;
}

Result<ImageRef> parse_image_ref(std::string_view text) {
    auto bad = [&](std::string_view why) {
        return fail(ErrorKind::invalid_input, fmt::format("invalid image reference \"{}\": {}", text, why));
    };
    if (text.empty()) return bad("empty");
    if (text.size() > 512) return bad("longer than 512 characters");
    ImageRef ref;
    std::string_view name = text;
    if (auto at = name.find('@'); at != std::string_view::npos) {
        ref.digest = std::string(name.substr(at + 1));
        name = name.substr(0, at);
        if (!is_sha256_digest(ref.digest)) return bad("the digest is not sha256:<64 lowercase hex>");
    }
    auto last_slash = name.rfind('/');
    auto colon = name.rfind(':');
    if (colon != std::string_view::npos && (last_slash == std::string_view::npos || colon > last_slash)) {
        ref.tag = std::string(name.substr(colon + 1));
        name = name.substr(0, colon);
        if (!valid_tag(ref.tag)) return bad(fmt::format("bad tag \"{}\"", ref.tag));
    }
    if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";

    auto first_slash = name.find('/');
    std::string_view path = name;
    if (first_slash != std::string_view::npos && looks_like_registry(name.substr(0, first_slash))) {
        ref.registry = std::string(name.substr(0, first_slash));
        path = name.substr(first_slash + 1);
        if (!valid_registry(ref.registry)) return bad(fmt::format("bad registry \"{}\"", ref.registry));
    } else {
        ref.registry = "docker.io";
    }
    if (ref.registry == "index.docker.io" || ref.registry == "registry-1.docker.io") ref.registry = "docker.io";
    if (path.empty()) return bad("no repository");
    if (path.size() > 255) return bad("the repository is longer than 255 characters");
    for (std::size_t start = 0;;) {
        auto end = path.find('/', start);
        std::string_view part = path.substr(start, end == std::string_view::npos ? end : end - start);
        if (!valid_path_component(part))
            return bad(fmt::format("bad repository component \"{}\" (lower case letters, digits, and . _ - between them)",
                                   part));
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    ref.repository = std::string(path);
    if (ref.registry == "docker.io" && ref.repository.find('/') == std::string::npos)
        ref.repository = "library/" + ref.repository;
    return ref;
}

}  // namespace cc
