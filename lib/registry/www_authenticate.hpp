// WWW-Authenticate challenges (RFC 7235): `Bearer realm="https://a/token",
// service="reg",scope="repository:x:pull,push"` — quoted strings may hold commas,
// and one header (or several) may carry several challenges.
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cc {

struct AuthChallenge {
    std::string scheme;                         // lower-cased: "basic", "bearer"
    std::map<std::string, std::string> params;  // names lower-cased, values unquoted
};

std::vector<AuthChallenge> parse_www_authenticate(std::string_view header);

}  // namespace cc
