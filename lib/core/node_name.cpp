#include <arpa/inet.h>

#include <algorithm>

#include <fmt/format.h>

#include "core/nodeset.hpp"
#include "core/strings.hpp"

namespace cc {
namespace {

constexpr std::size_t max_node_name_length = 253;  // a DNS name's limit: names often double as host names

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '.' || c == '_' || c == '-';
}

bool is_word(std::string_view s) { return !s.empty() && std::ranges::all_of(s, is_name_char); }

}  // namespace

bool is_valid_group_name(std::string_view name) { return is_word(name); }

bool is_valid_node_name(std::string_view name) {
    return is_word(name) && name.front() != '-' && name.size() <= max_node_name_length && name != "." && name != "..";
}

Result<std::string> validate_node_name(std::string_view name) {
    auto invalid = [&](std::string_view why) {
        return fail(ErrorKind::invalid_input, fmt::format("invalid node name \"{}\": {}", name, why));
    };
    if (name.empty()) return invalid("must not be empty");
    if (name.front() == '-') return invalid("must not start with '-'");
    if (name.size() > max_node_name_length)
        return invalid(fmt::format("longer than {} characters", max_node_name_length));
    if (!is_word(name)) return invalid("use letters, digits, '.', '_' or '-'");
    // A node name becomes a file name (cp gathers into DIR/<node>): "." and ".." would escape DIR.
    if (name == "." || name == "..") return invalid("\".\" and \"..\" are not names");
    return std::string(name);
}

namespace {

bool is_hostname(std::string_view host) {
    // Labels of letters, digits, '-' and '_' (common in internal DNS), 1-63 chars.
    for (auto label : split(host, '.')) {
        if (label.empty() || label.size() > 63) return false;
        if (!std::ranges::all_of(label, [](char c) { return is_name_char(c) && c != '.'; })) return false;
    }
    return true;
}

bool parses_as(int family, std::string_view text) {
    unsigned char buffer[16];
    return inet_pton(family, std::string(text).c_str(), buffer) == 1;
}

bool is_ipv6_literal(std::string_view host) {
    auto percent = host.find('%');
    if (percent != std::string_view::npos && !is_word(host.substr(percent + 1))) return false;
    return parses_as(AF_INET6, host.substr(0, percent));
}

}  // namespace

bool is_valid_host(std::string_view host) {
    if (host.empty() || host.size() > max_node_name_length || host.front() == '-') return false;
    if (host.find(':') != std::string_view::npos) return is_ipv6_literal(host);
    // All digits and dots can only mean an IPv4 address; 999.1.1.1 is not a host name.
    if (std::ranges::all_of(host, [](char c) { return is_digit(c) || c == '.'; })) return parses_as(AF_INET, host);
    return is_hostname(host);
}

}  // namespace cc
