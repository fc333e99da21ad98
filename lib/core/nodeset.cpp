#include "core/nodeset.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <fmt/format.h>

namespace cc {
namespace {

constexpr std::size_t max_node_name_length = 253;  // a DNS name's limit: names often double as host names
// 18 digits always fit in uint64_t, so range arithmetic cannot overflow.
constexpr std::size_t max_number_digits = 18;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '.' || c == '_' || c == '-';
}

bool is_word(std::string_view s) { return !s.empty() && std::ranges::all_of(s, is_name_char); }

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

std::unexpected<Error> bad(std::string_view expr, std::string_view problem) {
    return fail(ErrorKind::invalid_input, fmt::format("nodeset \"{}\": {}", expr, problem));
}

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    for (auto at = s.find(sep); at != std::string_view::npos; at = s.find(sep)) {
        parts.push_back(s.substr(0, at));
        s.remove_prefix(at + 1);
    }
    parts.push_back(s);
    return parts;
}

std::string pad(std::uint64_t value, std::size_t width) { return fmt::format("{:0{}}", value, width); }

// Splits on the commas outside brackets; bracket structure is checked here
// so the later stages can assume every '[' has its ']'.
Result<std::vector<std::string_view>> split_terms(std::string_view expr) {
    std::vector<std::string_view> terms;
    bool in_bracket = false;
    std::size_t start = 0;
    for (std::size_t i = 0; i < expr.size(); ++i) {
        char c = expr[i];
        if (c == '[') {
            if (in_bracket) return bad(expr, "nested '[' is not allowed");
            in_bracket = true;
        } else if (c == ']') {
            if (!in_bracket) return bad(expr, "unbalanced ']' without '['");
            in_bracket = false;
        } else if (c == ',' && !in_bracket) {
            terms.push_back(expr.substr(start, i - start));
            start = i + 1;
        }
    }
    if (in_bracket) return bad(expr, "unbalanced '[' without ']'");
    terms.push_back(expr.substr(start));
    return terms;
}

Result<std::uint64_t> parse_number(std::string_view expr, std::string_view text, std::string_view what) {
    if (text.empty() || !std::ranges::all_of(text, is_digit))
        return bad(expr, fmt::format("{} \"{}\" is not a number", what, text));
    if (text.size() > max_number_digits) return bad(expr, fmt::format("{} \"{}\" is too large", what, text));
    std::uint64_t value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

struct Range {
    std::uint64_t lo = 0, hi = 0, step = 1;
    std::size_t width = 0;  // of the lower bound, as ClusterShell pads [01-100]

    std::uint64_t count() const { return (hi - lo) / step + 1; }
};

// One element inside brackets: "7", "01-08" or "1-10/2".
Result<Range> parse_range(std::string_view expr, std::string_view element) {
    element = trim(element);
    if (element.empty()) return bad(expr, "empty range inside brackets");
    std::string_view bounds = element, step_text;
    bool has_step = false;
    if (auto slash = element.find('/'); slash != std::string_view::npos) {
        bounds = trim(element.substr(0, slash));
        step_text = trim(element.substr(slash + 1));
        has_step = true;
    }
    auto dash = bounds.find('-');
    std::string_view lo_text = trim(bounds.substr(0, dash));
    std::string_view hi_text = dash == std::string_view::npos ? lo_text : trim(bounds.substr(dash + 1));
    auto lo = parse_number(expr, lo_text, "bound");
    if (!lo) return std::unexpected(lo.error());
    auto hi = parse_number(expr, hi_text, "bound");
    if (!hi) return std::unexpected(hi.error());
    if (*hi < *lo) return bad(expr, fmt::format("range {}-{} is descending", lo_text, hi_text));
    Range range{*lo, *hi, 1, lo_text.size()};
    if (has_step) {
        if (dash == std::string_view::npos)
            return bad(expr, fmt::format("step \"/{}\" needs a range like 1-10/{}", step_text, step_text));
        auto step = parse_number(expr, step_text, "step");
        if (!step || *step == 0) return bad(expr, fmt::format("step \"{}\" is not a positive number", step_text));
        range.step = *step;
    }
    return range;
}

// The bracket body "01-04,07" as the list of strings it stands for.
Result<std::vector<std::string>> expand_brackets(std::string_view expr, std::string_view body) {
    if (trim(body).empty()) return bad(expr, "empty brackets \"[]\"");
    std::vector<Range> ranges;
    std::uint64_t total = 0;
    for (auto element : split(body, ',')) {
        auto range = parse_range(expr, element);
        if (!range) return std::unexpected(range.error());
        total += range->count();
        if (total > max_nodeset_size)
            return bad(expr, fmt::format("expands to more than {} names", max_nodeset_size));
        ranges.push_back(*range);
    }
    std::vector<std::string> values;
    values.reserve(total);
    for (const auto& r : ranges)
        for (std::uint64_t v = r.lo;; v += r.step) {
            values.push_back(pad(v, r.width));
            if (r.hi - v < r.step) break;  // v + step would pass hi (or wrap)
        }
    return values;
}

// A term without '@' or '!': literal text and bracket sets, expanded as a
// cartesian product in order (r[1-2]n[1-2] -> r1n1 r1n2 r2n1 r2n2).
Result<std::vector<std::string>> expand_pattern(std::string_view expr, std::string_view term) {
    std::vector<std::string> names{""};
    while (!term.empty()) {
        auto open = term.find('[');
        std::vector<std::string> parts{std::string(term.substr(0, open))};
        if (open == std::string_view::npos) {
            term = {};
        } else {
            auto close = term.find(']', open);
            auto expanded = expand_brackets(expr, term.substr(open + 1, close - open - 1));
            if (!expanded) return std::unexpected(expanded.error());
            for (auto& value : *expanded) value.insert(0, parts.front());
            parts = std::move(*expanded);
            term.remove_prefix(close + 1);
        }
        if (names.size() * parts.size() > max_nodeset_size)
            return bad(expr, fmt::format("expands to more than {} names", max_nodeset_size));
        std::vector<std::string> next;
        next.reserve(names.size() * parts.size());
        for (const auto& head : names)
            for (const auto& tail : parts) next.push_back(head + tail);
        names = std::move(next);
    }
    return names;
}

Result<std::vector<std::string>> expand_group(std::string_view expr, std::string_view name,
                                              const GroupResolver& groups) {
    if (!is_word(name)) return bad(expr, fmt::format("invalid group name \"{}\"", name));
    auto members = groups(name);
    if (!members) return std::unexpected(members.error());
    if (members->size() > max_nodeset_size)
        return bad(expr, fmt::format("@{} has more than {} names", name, max_nodeset_size));
    return members;
}

Result<std::vector<std::string>> expand_term(std::string_view expr, std::string_view term,
                                             const GroupResolver& groups) {
    if (term.starts_with('@')) return expand_group(expr, term.substr(1), groups);
    return expand_pattern(expr, term);
}

void sort_unique(std::vector<std::string>& names) {
    std::ranges::sort(names, natural_less);
    auto dup = std::ranges::unique(names);
    names.erase(dup.begin(), dup.end());
}

}  // namespace

bool natural_less(std::string_view a, std::string_view b) {
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        if (is_digit(a[i]) && is_digit(b[j])) {
            std::size_t a_end = i, b_end = j;
            while (a_end < a.size() && is_digit(a[a_end])) ++a_end;
            while (b_end < b.size() && is_digit(b[b_end])) ++b_end;
            // Compare values without converting: strip zeros, then longer is larger.
            auto x = a.substr(i, a_end - i), y = b.substr(j, b_end - j);
            x.remove_prefix(std::min(x.find_first_not_of('0'), x.size()));
            y.remove_prefix(std::min(y.find_first_not_of('0'), y.size()));
            if (x.size() != y.size()) return x.size() < y.size();
            if (x != y) return x < y;
            i = a_end;
            j = b_end;
        } else {
            if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
            ++i;
            ++j;
        }
    }
    if ((i < a.size()) != (j < b.size())) return j < b.size();
    return a < b;  // equal but for padding: gpu01 before gpu1, so the order stays total
}

Result<std::vector<std::string>> expand_nodeset(std::string_view expr, const GroupResolver& groups) {
    if (trim(expr).empty()) return bad(expr, "empty expression");
    auto terms = split_terms(expr);
    if (!terms) return std::unexpected(terms.error());
    std::vector<std::string> included;
    std::unordered_set<std::string> excluded;
    for (auto term : *terms) {
        term = trim(term);
        bool exclude = term.starts_with('!');
        if (exclude) term = trim(term.substr(1));
        if (term.empty()) return bad(expr, exclude ? "empty term after '!'" : "empty term");
        auto names = expand_term(expr, term, groups);
        if (!names) return std::unexpected(names.error());
        for (auto& name : *names) {
            if (!is_valid_node_name(name)) return bad(expr, fmt::format("\"{}\" is not a valid node name", name));
            if (exclude)
                excluded.insert(std::move(name));
            else
                included.push_back(std::move(name));
        }
        // The cap holds after every term, so many large terms cannot add up to
        // millions of names before the check; duplicates do not count against it.
        if (included.size() > max_nodeset_size) sort_unique(included);
        if (included.size() > max_nodeset_size || excluded.size() > max_nodeset_size)
            return bad(expr, fmt::format("expands to more than {} names", max_nodeset_size));
    }
    // Exclusions apply whatever their position, as in ClusterShell.
    std::erase_if(included, [&](const std::string& name) { return excluded.contains(name); });
    sort_unique(included);
    return included;
}

namespace {

// A name cut around its last digit run: gpu07-ib -> {"gpu", "07", "-ib"}.
struct NumberedName {
    std::string prefix, digits, suffix;
};

bool split_last_number(const std::string& name, NumberedName& out) {
    auto end = name.find_last_of("0123456789");
    if (end == std::string::npos) return false;
    auto begin = end;
    while (begin > 0 && is_digit(name[begin - 1])) --begin;
    if (end - begin + 1 > max_number_digits) return false;  // leave absurd numbers unfolded
    out = {name.substr(0, begin), name.substr(begin, end - begin + 1), name.substr(end + 1)};
    return true;
}

struct Run {
    std::uint64_t lo, hi;
    std::size_t width;
    std::string lo_text, hi_text;
};

// Consecutive numbers share a run only when the run's padding reproduces them
// exactly, so expanding the folded form gives back the same names. Runs are
// found by their last number (a hash lookup, not a scan of all runs), which
// keeps folding O(n log n): 30,000 separate runs took seconds when scanned.
std::string fold_numbers(std::vector<std::string> digits) {
    std::ranges::sort(digits, natural_less);
    std::vector<Run> runs;
    std::unordered_map<std::uint64_t, std::vector<std::size_t>> runs_ending_at;  // hi -> runs (one per width)
    for (auto& text : digits) {
        std::uint64_t value = 0;
        std::from_chars(text.data(), text.data() + text.size(), value);
        std::optional<std::size_t> best;
        auto ending = value > 0 ? runs_ending_at.find(value - 1) : runs_ending_at.end();
        if (ending != runs_ending_at.end()) {
            for (auto index : ending->second)
                if (pad(value, runs[index].width) == text && (!best || runs[index].width > runs[*best].width))
                    best = index;
            if (best) std::erase(ending->second, *best);
            if (ending->second.empty()) runs_ending_at.erase(ending);
        }
        if (!best) {
            best = runs.size();
            runs.push_back({value, value, text.size(), text, text});
        } else {
            runs[*best].hi = value;
            runs[*best].hi_text = text;
        }
        runs_ending_at[value].push_back(*best);
    }
    std::ranges::sort(runs, [](const Run& a, const Run& b) { return natural_less(a.lo_text, b.lo_text); });
    std::string body;
    for (const auto& run : runs) {
        if (!body.empty()) body += ',';
        body += run.lo == run.hi ? run.lo_text : run.lo_text + "-" + run.hi_text;
    }
    return body;
}

}  // namespace

std::string fold_nodeset(std::vector<std::string> names) {
    std::erase(names, std::string());
    sort_unique(names);
    std::map<std::pair<std::string, std::string>, std::vector<std::string>> numbered;
    std::vector<std::pair<std::string, std::string>> terms;  // first name, folded term
    for (auto& name : names) {
        NumberedName parts;
        if (split_last_number(name, parts))
            numbered[{parts.prefix, parts.suffix}].push_back(std::move(parts.digits));
        else
            terms.emplace_back(name, name);
    }
    for (auto& [affixes, digits] : numbered) {
        auto first = affixes.first + digits.front() + affixes.second;
        if (digits.size() == 1)
            terms.emplace_back(first, first);
        else
            terms.emplace_back(first, affixes.first + "[" + fold_numbers(std::move(digits)) + "]" + affixes.second);
    }
    std::ranges::sort(terms, [](const auto& a, const auto& b) { return natural_less(a.first, b.first); });
    std::string folded;
    for (const auto& term : terms) {
        if (!folded.empty()) folded += ',';
        folded += term.second;
    }
    return folded;
}

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
