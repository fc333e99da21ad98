#include "keys/public_key.hpp"

#include <array>
#include <bit>
#include <cstdint>
#include <fmt/format.h>
#include <optional>

#include "core/base64.hpp"
#include "core/sha256.hpp"

namespace cc {
namespace {

enum class Material { ed25519, sk_ed25519, rsa, ecdsa, sk_ecdsa, refused };

struct KeyType {
    std::string_view name;
    Material material;
    std::string_view curve;  // ecdsa: the curve name the blob must repeat
};

// clang-format off
constexpr std::array kKeyTypes{
    KeyType{"ssh-ed25519",                        Material::ed25519,    ""},
    KeyType{"sk-ssh-ed25519@openssh.com",         Material::sk_ed25519, ""},
    KeyType{"ssh-rsa",                            Material::rsa,        ""},
    KeyType{"ecdsa-sha2-nistp256",                Material::ecdsa,      "nistp256"},
    KeyType{"ecdsa-sha2-nistp384",                Material::ecdsa,      "nistp384"},
    KeyType{"ecdsa-sha2-nistp521",                Material::ecdsa,      "nistp521"},
    KeyType{"sk-ecdsa-sha2-nistp256@openssh.com", Material::sk_ecdsa,   "nistp256"},
    // Recognised in authorized_keys, never accepted from a user.
    KeyType{"ssh-dss",                            Material::refused,    ""},
};
// clang-format on

constexpr std::size_t kMinRsaBits = 2048;

const KeyType* find_type(std::string_view name) {
    for (const auto& t : kKeyTypes)
        if (t.name == name) return &t;
    return nullptr;
}

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

std::string_view next_field(std::string_view& rest) {
    std::size_t end = 0;
    while (end < rest.size() && rest[end] != ' ' && rest[end] != '\t') ++end;
    std::string_view field = rest.substr(0, end);
    rest.remove_prefix(end);
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
    return field;
}

// SSH wire format (RFC 4251): uint32 length, then that many bytes.
struct BlobReader {
    std::string_view data;
    std::optional<std::string_view> string() {
        if (data.size() < 4) return std::nullopt;
        std::uint32_t n = 0;
        for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<unsigned char>(data[static_cast<std::size_t>(i)]);
        data.remove_prefix(4);
        if (n > data.size()) return std::nullopt;
        std::string_view out = data.substr(0, n);
        data.remove_prefix(n);
        return out;
    }
};

std::size_t mpint_bits(std::string_view mpint) {
    while (!mpint.empty() && mpint.front() == '\0') mpint.remove_prefix(1);
    if (mpint.empty()) return 0;
    auto top = static_cast<unsigned char>(mpint.front());
    return (mpint.size() - 1) * 8 + static_cast<std::size_t>(std::bit_width(top));
}

Result<void> bad(std::string_view what) { return fail(ErrorKind::invalid_input, fmt::format("public key: {}", what)); }

Result<void> check_material(const KeyType& type, BlobReader& blob) {
    auto truncated = [&] { return bad(fmt::format("{} key data is truncated", type.name)); };
    switch (type.material) {
        case Material::ed25519:
        case Material::sk_ed25519: {
            auto pk = blob.string();
            if (!pk) return truncated();
            if (pk->size() != 32)
                return bad(fmt::format("ed25519 key is {} bytes, expected 32", pk->size()));
            if (type.material == Material::sk_ed25519 && !blob.string()) return truncated();
            break;
        }
        case Material::rsa: {
            auto e = blob.string();
            auto n = e ? blob.string() : std::nullopt;
            if (!n) return truncated();
            std::size_t bits = mpint_bits(*n);
            if (bits < kMinRsaBits)
                return bad(fmt::format("RSA key of {} bits is too short (minimum {})", bits, kMinRsaBits));
            break;
        }
        case Material::ecdsa:
        case Material::sk_ecdsa: {
            auto curve = blob.string();
            auto point = curve ? blob.string() : std::nullopt;
            if (!point) return truncated();
            if (*curve != type.curve)
                return bad(fmt::format("declares {} but its curve is {}", type.name, *curve));
            if (point->empty() || (*point)[0] != '\x04') return bad("ECDSA point is not in uncompressed form");
            if (type.material == Material::sk_ecdsa && !blob.string()) return truncated();
            break;
        }
        case Material::refused:
            break;
    }
    if (!blob.data.empty()) return bad(fmt::format("{} key data has {} trailing bytes", type.name, blob.data.size()));
    return {};
}

}  // namespace

bool is_ssh_key_type(std::string_view type) {
    if (find_type(type)) return true;
    // Certificates are "<type>-cert-v01@openssh.com", sk types dropping their own "@openssh.com".
    constexpr std::string_view cert = "-cert-v01@openssh.com";
    if (!type.ends_with(cert)) return false;
    std::string base(type.substr(0, type.size() - cert.size()));
    return find_type(base) || find_type(base + "@openssh.com");
}

Result<PublicKey> parse_public_key(std::string_view line) {
    std::string_view text = trim(line);
    if (text.empty()) return fail(ErrorKind::invalid_input, "public key: empty input");
    if (text.find('\n') != std::string_view::npos)
        return fail(ErrorKind::invalid_input, "public key: more than one line (give one key at a time)");

    std::string_view rest = text;
    std::string_view type_name = next_field(rest);
    std::string_view b64 = next_field(rest);
    const KeyType* type = find_type(type_name);
    if (!type) return fail(ErrorKind::invalid_input, fmt::format("public key: type \"{}\" is not supported", type_name));
    if (type->material == Material::refused)
        return fail(ErrorKind::invalid_input,
                    fmt::format("public key: type \"{}\" is obsolete and not supported", type_name));
    if (b64.empty()) return fail(ErrorKind::invalid_input, "public key: key data is missing after the type");

    auto blob = base64_decode(b64);
    if (!blob) return fail(ErrorKind::invalid_input, "public key: not valid base64");
    BlobReader reader{*blob};
    auto embedded = reader.string();
    if (!embedded) return fail(ErrorKind::invalid_input, "public key: key data is truncated");
    if (*embedded != type_name)
        return fail(ErrorKind::invalid_input,
                    fmt::format("public key: declares {} but contains {}", type_name, *embedded));
    if (auto ok = check_material(*type, reader); !ok) return std::unexpected(ok.error());

    return PublicKey{std::string(type_name), std::string(b64), std::string(rest), sha256_fingerprint(*blob)};
}

}  // namespace cc
