#include "core/shell_quote.hpp"

#include <algorithm>

namespace cc {
namespace {

bool is_bare_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("_./:=@%+,-").find(c) != std::string_view::npos;
}

bool can_stay_bare(std::string_view arg) {
    return !arg.empty() && arg.front() != '=' && std::ranges::all_of(arg, is_bare_char);
}

std::string single_quote(std::string_view arg) {
    std::string quoted = "'";
    for (char c : arg) {
        if (c == '\'')
            quoted += "'\\''";  // close, escaped quote, reopen: sh has no escape inside '...'
        else
            quoted += c;
    }
    quoted += '\'';
    return quoted;
}

}  // namespace

std::string shell_quote(std::string_view arg) { return can_stay_bare(arg) ? std::string(arg) : single_quote(arg); }

std::string shell_join(const std::vector<std::string>& argv) {
    std::string line;
    for (std::size_t i = 0; i < argv.size(); ++i) {
        if (i > 0) line += ' ';
        bool assignment_like = i == 0 && argv[i].find('=') != std::string::npos;
        line += assignment_like ? single_quote(argv[i]) : shell_quote(argv[i]);
    }
    return line;
}

}  // namespace cc
