// A sectioned answer (lib/remote/sections) as a node's script prints it.
#pragma once
#include <string>
#include <utility>
#include <vector>

inline constexpr const char* kTestNonce = "0123456789abcdef0123456789abcdef";

// The same framed by `nonce` (the one the command carried), ended.
inline std::string framed(const std::string& nonce, const std::vector<std::pair<std::string, std::string>>& sections) {
    std::string out;
    for (const auto& [name, body] : sections) out += "\n@@" + nonce + " " + name + "\n" + body;
    return out + "\n@@" + nonce + " .\n";
}

inline std::string sectioned(const std::vector<std::pair<std::string, std::string>>& sections, bool ended = true) {
    std::string out;
    for (const auto& [name, body] : sections) out += "\n@@" + std::string(kTestNonce) + " " + name + "\n" + body;
    if (ended) out += "\n@@" + std::string(kTestNonce) + " .\n";
    return out;
}
