// A sectioned answer (lib/remote/sections) as a node's script prints it.
#pragma once
#include <string>
#include <utility>
#include <vector>

inline constexpr const char* kTestNonce = "0123456789abcdef0123456789abcdef";

inline std::string sectioned(const std::vector<std::pair<std::string, std::string>>& sections, bool ended = true) {
    std::string out;
    for (const auto& [name, body] : sections) out += "\n@@" + std::string(kTestNonce) + " " + name + "\n" + body;
    if (ended) out += "\n@@" + std::string(kTestNonce) + " .\n";
    return out;
}
