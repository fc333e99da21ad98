// Standard base64 (RFC 4648, padded), as OpenSSH writes key blobs and OCI
// registries write auth headers.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace cc {

std::string base64_encode(std::string_view bytes);
// nullopt for text that is not padded base64 (a length not a multiple of 4, a foreign character).
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace cc
