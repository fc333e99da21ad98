#include "keys/authorized_keys.hpp"

#include <cstddef>
#include <fmt/format.h>

#include "core/base64.hpp"

namespace cc {
namespace {

constexpr std::string_view kBeginPrefix = "# BEGIN clusterctl managed keys";

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view skip_spaces(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    return s;
}

std::string_view trim_end(std::string_view s) {
    while (!s.empty() && (is_space(s.back()) || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

std::string_view take_field(std::string_view& rest) {
    std::size_t end = 0;
    while (end < rest.size() && !is_space(rest[end])) ++end;
    std::string_view field = rest.substr(0, end);
    rest = skip_spaces(rest.substr(end));
    return field;
}

// Mirrors sshkey_advance_past_options() in OpenSSH: returns the length of the
// options field, or npos when a quote is left open.
std::size_t options_length(std::string_view s) {
    bool quoted = false;
    std::size_t i = 0;
    for (; i < s.size() && (quoted || !is_space(s[i])); ++i) {
        if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '"')
            ++i;
        else if (s[i] == '"')
            quoted = !quoted;
    }
    return quoted ? std::string_view::npos : i;
}

bool is_begin(std::string_view raw) { return trim_end(raw).starts_with(kBeginPrefix); }
bool is_end(std::string_view raw) { return trim_end(raw) == kManagedEnd; }

Result<AuthorizedKeysFile> marker_error(std::string message) {
    return fail(ErrorKind::invalid_input, "authorized_keys: " + std::move(message));
}

}  // namespace

AuthorizedKeyLine parse_authorized_key_line(std::string_view line) {
    AuthorizedKeyLine out;
    out.raw = std::string(line);
    std::string_view rest = trim_end(skip_spaces(line));
    if (rest.empty() || rest.front() == '#') return out;

    std::string_view options;
    std::size_t first_end = 0;
    while (first_end < rest.size() && !is_space(rest[first_end])) ++first_end;
    if (!is_ssh_key_type(rest.substr(0, first_end))) {
        std::size_t n = options_length(rest);
        if (n == std::string_view::npos) return out;
        options = rest.substr(0, n);
        rest = skip_spaces(rest.substr(n));
    }
    std::string_view type = take_field(rest);
    std::string_view b64 = take_field(rest);
    if (!is_ssh_key_type(type) || b64.empty() || !base64_decode(b64)) return out;

    out.is_key = true;
    out.options = std::string(options);
    out.type = std::string(type);
    out.base64 = std::string(b64);
    out.comment = std::string(rest);
    return out;
}

Result<AuthorizedKeysFile> parse_authorized_keys(std::string_view text) {
    AuthorizedKeysFile file;
    file.ended_with_newline = text.empty() || text.back() == '\n';
    if (text.empty()) return file;
    if (file.ended_with_newline) text.remove_suffix(1);

    std::vector<std::string_view> raws;
    for (std::size_t start = 0;;) {
        std::size_t nl = text.find('\n', start);
        raws.push_back(text.substr(start, nl == std::string_view::npos ? nl : nl - start));
        if (nl == std::string_view::npos) break;
        start = nl + 1;
    }

    enum class Where { before, managed, after } where = Where::before;
    std::size_t begin_line = 0;
    for (std::size_t i = 0; i < raws.size(); ++i) {
        const std::size_t number = i + 1;
        if (is_begin(raws[i])) {
            if (where == Where::managed)
                return marker_error(fmt::format("line {}: managed block opened again inside the block begun at line {}",
                                                number, begin_line));
            if (where == Where::after)
                return marker_error(fmt::format("line {}: a second managed block (the first begins at line {})",
                                                number, begin_line));
            where = Where::managed;
            begin_line = number;
            file.had_block = true;
        } else if (is_end(raws[i])) {
            if (where != Where::managed)
                return marker_error(fmt::format("line {}: \"{}\" without a BEGIN line before it", number, kManagedEnd));
            where = Where::after;
        } else {
            auto& lines = where == Where::before ? file.before : where == Where::managed ? file.managed : file.after;
            lines.push_back(parse_authorized_key_line(raws[i]));
        }
    }
    if (where == Where::managed)
        return marker_error(fmt::format("line {}: managed block has no \"{}\" line", begin_line, kManagedEnd));
    return file;
}

std::string render_authorized_keys(const AuthorizedKeysFile& file, const std::vector<std::string>& managed_lines) {
    std::string out;
    for (const auto& line : file.before) out += line.raw + '\n';
    const bool block = !managed_lines.empty();
    if (block) {
        out += kManagedBegin;
        out += '\n';
        for (const auto& line : managed_lines) out += line + '\n';
        out += kManagedEnd;
        out += '\n';
    }
    for (const auto& line : file.after) out += line.raw + '\n';
    // The original last line lacked its newline: keep it so, unless that line
    // now has a block after it (a block appended, or the old one removed).
    const bool last_is_original = !file.after.empty() || (file.had_block && block) ||
                                  (!file.had_block && !block && !file.before.empty());
    if (!file.ended_with_newline && last_is_original && !out.empty()) out.pop_back();
    return out;
}

std::vector<AuthorizedKeyLine> unmanaged_keys(const AuthorizedKeysFile& file) {
    std::vector<AuthorizedKeyLine> keys;
    for (const auto* lines : {&file.before, &file.after})
        for (const auto& line : *lines)
            if (line.is_key) keys.push_back(line);
    return keys;
}

Result<void> validate_key_options(std::string_view options) {
    auto bad = [&](std::string_view why) {
        // The value is echoed on one line: control bytes shown escaped.
        std::string shown;
        for (char c : options) shown += c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\0' ? "\\0" : std::string(1, c);
        return fail(ErrorKind::invalid_input, fmt::format("invalid key options '{}': {}", shown, why));
    };
    if (options.find_first_of(std::string_view("\n\r\0", 3)) != std::string_view::npos)
        return bad("must be one line");
    if (options.empty()) return {};
    // A line starting with "#" is a comment, and one starting with a key type
    // is read by sshd as a key: either way the options would not be options.
    if (options.front() == '#') return bad("starts with '#' (sshd would read the line as a comment)");
    const std::string_view first = options.substr(0, options.find_first_of(",="));
    if (is_ssh_key_type(first) || first.starts_with("ssh-") || first.starts_with("ecdsa-") || first.starts_with("sk-"))
        return bad("starts with a key type (give the options only; the key comes from `key add`)");
    std::size_t n = options_length(options);
    if (n == std::string_view::npos) return bad("a double quote is not closed");
    if (n != options.size()) return bad("a blank outside double quotes");
    bool quoted = false;
    std::size_t item_start = 0;
    for (std::size_t i = 0; i <= options.size(); ++i) {
        if (i < options.size() && options[i] == '\\' && i + 1 < options.size() && options[i + 1] == '"') {
            ++i;
            continue;
        }
        if (i < options.size() && options[i] == '"') quoted = !quoted;
        if (i == options.size() || (!quoted && options[i] == ',')) {
            if (i == item_start) return bad("an empty option (stray comma)");
            item_start = i + 1;
        }
    }
    return {};
}

std::string render_key_line(const PublicKey& key, std::string_view options) {
    std::string line;
    if (!options.empty()) line = fmt::format("{} ", options);
    line += fmt::format("{} {}", key.type, key.base64);
    if (!key.comment.empty()) line += fmt::format(" {}", key.comment);
    return line;
}

}  // namespace cc
