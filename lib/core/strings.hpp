// Small string helpers shared by lib/ and cli/.
#pragma once
#include <string>
#include <vector>

namespace cc {

// "a,b,c" from {"a", "b", "c"} with sep ","; "" for none.
inline std::string join(const std::vector<std::string>& items, const char* sep) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : sep) + item;
    return out;
}

}  // namespace cc
