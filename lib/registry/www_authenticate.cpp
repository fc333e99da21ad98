#include "registry/www_authenticate.hpp"

#include <cctype>

namespace cc {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }
bool is_token_char(char c) { return !is_space(c) && c != ',' && c != '=' && c != '"'; }

std::string lower(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

}  // namespace

std::vector<AuthChallenge> parse_www_authenticate(std::string_view header) {
    std::vector<AuthChallenge> challenges;
    std::size_t pos = 0;
    auto skip_spaces = [&] {
        while (pos < header.size() && is_space(header[pos])) ++pos;
    };
    while (pos < header.size()) {
        while (pos < header.size() && (is_space(header[pos]) || header[pos] == ',')) ++pos;
        std::size_t start = pos;
        while (pos < header.size() && is_token_char(header[pos])) ++pos;
        if (pos == start) {  // a stray '=' or quote: skip it rather than loop
            ++pos;
            continue;
        }
        std::string token(header.substr(start, pos - start));
        skip_spaces();
        bool is_param = pos < header.size() && header[pos] == '=' && !challenges.empty();
        if (!is_param) {
            challenges.push_back(AuthChallenge{lower(token), {}});
            continue;
        }
        ++pos;  // '='
        skip_spaces();
        std::string value;
        if (pos < header.size() && header[pos] == '"') {
            ++pos;
            while (pos < header.size() && header[pos] != '"') {
                if (header[pos] == '\\' && pos + 1 < header.size()) ++pos;
                value += header[pos++];
            }
            ++pos;  // closing quote (or the end)
        } else {
            while (pos < header.size() && header[pos] != ',' && !is_space(header[pos])) value += header[pos++];
        }
        challenges.back().params[lower(token)] = value;
    }
    return challenges;
}

}  // namespace cc
