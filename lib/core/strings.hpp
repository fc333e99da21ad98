// Small string helpers shared by lib/ and cli/.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace cc {

// "a,b,c" from {"a", "b", "c"} with sep ","; "" for none.
inline std::string join(const std::vector<std::string>& items, const char* sep) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : sep) + item;
    return out;
}

// "a,b" split at sep into views of `s` ({"a", "b"}); "" gives {""}.
inline std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    for (auto at = s.find(sep); at != std::string_view::npos; at = s.find(sep)) {
        parts.push_back(s.substr(0, at));
        s.remove_prefix(at + 1);
    }
    parts.push_back(s);
    return parts;
}

}  // namespace cc
