// The parser follows ClusterShell 1.9's NodeSet parser (ParsingEngine._scan_string and
// RangeSet._parse), rule for rule, so that an expression means here what it means to
// `nodeset`; tests/nodeset/differential.py checks that against the installed ClusterShell.
#include "core/nodeset.hpp"
#include "core/strings.hpp"
#include "core/nodeset_fold.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <iterator>
#include <optional>
#include <utility>

#include <fmt/format.h>

namespace cc {
namespace {

// 18 digits always fit in uint64_t, so range arithmetic cannot overflow.
constexpr std::size_t max_number_digits = 18;
constexpr std::string_view operators = ",!&^";
constexpr std::string_view digits = "0123456789";

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view lstrip(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    return s;
}

std::string_view rstrip(std::string_view s) {
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

std::string_view strip(std::string_view s) { return rstrip(lstrip(s)); }

std::unexpected<Error> bad(std::string_view expr, std::string_view problem) {
    return fail(ErrorKind::invalid_input, fmt::format("nodeset \"{}\": {}", expr, problem));
}

std::unexpected<Error> too_many(std::string_view expr) {
    return bad(expr, fmt::format("expands to more than {} names", max_nodeset_size));
}

std::string pad(std::uint64_t value, std::size_t width) { return fmt::format("{:0{}}", value, width); }

std::string_view strip_leading_zeros(std::string_view s) { return s.substr(std::min(s.find_first_not_of('0'), s.size())); }

// What the numbers of one bracket stand for, as strings: "01" and "1" are different indexes.
using Indexes = std::vector<std::string>;
using Names = std::vector<std::string>;

struct Parser {
    std::string_view expr;

    Result<std::uint64_t> number(std::string_view text, std::string_view what) const {
        text = strip(text);  // Python's int() ignores surrounding whitespace
        if (text.empty() || !std::ranges::all_of(text, is_digit))
            return bad(expr, fmt::format("{} \"{}\" is not a number", what, text));
        if (text.size() > max_number_digits) return bad(expr, fmt::format("{} \"{}\" is too large", what, text));
        std::uint64_t value = 0;
        std::from_chars(text.data(), text.data() + text.size(), value);
        return value;
    }

    // One element of a bracket: "7", "01-08" or "1-10/2", padded as RangeSet._parse pads:
    // a zero-padded bound fixes the width, and then both bounds must have it.
    Result<std::size_t> range(std::string_view element, Indexes& out) const {
        element = strip(element);
        if (element.empty()) return bad(expr, "empty range inside brackets");
        std::string_view bounds = element;
        std::uint64_t step = 1;
        if (auto slash = element.find('/'); slash != std::string_view::npos) {
            bounds = element.substr(0, slash);
            auto text = strip(element.substr(slash + 1));
            auto parsed = number(text, "step");
            if (!parsed || *parsed == 0) return bad(expr, fmt::format("step \"{}\" is not a positive number", text));
            step = *parsed;
        }
        auto parts = split(bounds, '-');
        if (parts.size() > 2 || (parts.size() == 2 && strip(parts[0]).empty()))
            return bad(expr, fmt::format("\"{}\": negative numbers are not supported", element));
        if (parts.size() == 1 && step != 1)
            return bad(expr, fmt::format("step \"/{}\" needs a range like 1-10/{}", step, step));
        // A single number keeps its text as written (with a space before '/' as ClusterShell does).
        std::string_view begin = parts.size() == 1 ? parts[0] : strip(parts[0]);
        std::string_view end = parts.size() == 1 ? parts[0] : strip(parts[1]);
        auto lo = number(begin, "bound");
        if (!lo) return std::unexpected(lo.error());
        auto hi = number(end, "bound");
        if (!hi) return std::unexpected(hi.error());
        std::size_t width = 0, end_width = 0;
        if (*lo != 0 ? strip_leading_zeros(begin).size() < begin.size() : begin.size() > 1) width = begin.size();
        if (*hi != 0 && strip_leading_zeros(end).size() < end.size()) end_width = end.size();
        if ((width > 0 || end_width > 0) && begin.size() != end.size())
            return bad(expr, fmt::format("\"{}\": padding length mismatch ({} and {} digits)", element, begin.size(),
                                         end.size()));
        if (*hi < *lo) return bad(expr, fmt::format("range {}-{} is descending", strip(begin), strip(end)));
        auto count = (*hi - *lo) / step + 1;
        if (out.size() + count > max_nodeset_size) return too_many(expr);
        for (std::uint64_t v = *lo;; v += step) {
            out.push_back(pad(v, width));
            if (*hi - v < step) break;  // v + step would pass hi (or wrap)
        }
        return count;
    }

    // The bracket body "01-04,07" as its indexes.
    Result<Indexes> bracket(std::string_view body) const {
        Indexes indexes;
        for (auto element : split(body, ','))
            if (auto added = range(element, indexes); !added) return std::unexpected(added.error());
        return indexes;
    }

    // "prod-2[10-320]": digits glued before a bracket belong to every number in it, so the
    // bracket means [210-2320] (ClusterShell's _amend_leading_digits, which refolds the body first).
    Result<std::string> glue_leading(std::string_view glued, std::string_view body) const {
        auto indexes = bracket(body);
        if (!indexes) return std::unexpected(indexes.error());
        std::string amended, folded = fold_indexes(std::move(*indexes));
        for (auto run : split(folded, ',')) {
            if (!amended.empty()) amended += ',';
            auto bounds = split(run, '-');
            for (std::size_t i = 0; i < bounds.size(); ++i)
                amended += (i ? "-" : "") + std::string(glued) + std::string(bounds[i]);
        }
        return amended;
    }

    // "n[1-3]0" means n10, n20, n30 (ClusterShell's _amend_trailing_digits): each bound
    // gets the digits, and a range steps by the power of ten they shift it by.
    Result<std::string> glue_trailing(std::string_view glued, std::string_view body) const {
        if (body.find('/') != std::string_view::npos)
            return bad(expr, fmt::format("digits \"{}\" after a bracket with a step", glued));
        std::string amended;
        for (auto element : split(body, ',')) {
            if (!amended.empty()) amended += ',';
            auto bounds = split(element, '-');
            for (std::size_t i = 0; i < bounds.size(); ++i)
                amended += (i ? "-" : "") + std::string(bounds[i]) + std::string(glued);
            if (bounds.size() > 1) amended += "/1" + std::string(glued.size(), '0');
        }
        return amended;
    }

    // ClusterShell refuses an index above 1e100, even in a plain name.
    Result<void> check_numbers(std::string_view text) const {
        static constexpr std::string_view float_1e100 =
            "10000000000000000159028911097599180468360808563945281389781327557747838772170381060813469985856815104";
        for (auto at = text.find_first_of(digits); at != std::string_view::npos; at = text.find_first_of(digits, at)) {
            auto end = std::min(text.find_first_not_of(digits, at), text.size());
            auto run = strip_leading_zeros(text.substr(at, end - at));
            if (run.size() > float_1e100.size() || (run.size() == float_1e100.size() && run > float_1e100))
                return bad(expr, fmt::format("number \"{}\" is too large", text.substr(at, end - at)));
            at = end;
        }
        return {};
    }

    // Every prefix + index + ... combination; the cap holds before the names are made.
    Result<void> append(Names& names, std::string_view prefix, const Indexes& indexes) const {
        if (names.size() * indexes.size() > max_nodeset_size) return too_many(expr);
        Names next;
        next.reserve(names.size() * indexes.size());
        for (const auto& head : names)
            for (const auto& index : indexes) next.push_back(head + std::string(prefix) + index);
        names = std::move(next);
        return {};
    }

    // One operand at the start of `text`: its names, the operator after it (0 at the end)
    // and the text after that operator.
    Result<Names> operand(std::string_view text, char& next_op, std::string_view& rest) const;
    Result<Names> group(std::string_view text, const GroupResolver& groups, char& next_op,
                        std::string_view& rest) const;
    // Splits "node,rest" at the first operator; both sides must be there.
    Result<std::string_view> cut(std::string_view text, char& next_op, std::string_view& rest) const;
};

Result<std::string_view> Parser::cut(std::string_view text, char& next_op, std::string_view& rest) const {
    auto at = text.find_first_of(operators);
    next_op = 0;
    rest = {};
    if (at == std::string_view::npos) return text;
    next_op = text[at];
    rest = text.substr(at + 1);
    if (rest.empty()) return bad(expr, fmt::format("nothing after '{}'", next_op));
    return text.substr(0, at);
}

Result<Names> Parser::operand(std::string_view text, char& next_op, std::string_view& rest) const {
    constexpr auto npos = std::string_view::npos;
    auto op_at = text.find_first_of(operators);
    auto bracket_at = text.find('[');
    Names names{""};
    bool bracketed = false;
    std::string_view sfx = text;
    if (bracket_at == npos || (op_at != npos && op_at < bracket_at)) {
        // A plain name: ClusterShell wants something on both sides of an operator.
        if (op_at == 0) return bad(expr, fmt::format("nothing before '{}'", text[0]));
    } else {
        bracketed = true;
        while (bracket_at != npos && (op_at == npos || op_at > bracket_at)) {
            auto pfx = sfx.substr(0, bracket_at);
            sfx.remove_prefix(bracket_at + 1);
            auto close = sfx.find(']');
            if (close == npos) return bad(expr, "unbalanced '[' without ']'");
            std::string body(sfx.substr(0, close));
            sfx.remove_prefix(close + 1);
            if (pfx.find(']') != npos) return bad(expr, "unbalanced ']' without '['");
            if (body.find('[') != npos) return bad(expr, "nested '[' is not allowed");
            auto next_close = sfx.find(']'), next_open = sfx.find('[');
            if (next_close != npos && (next_open == npos || next_close < next_open))
                return bad(expr, "unbalanced ']' without '['");
            if (auto glued = sfx.substr(0, std::min(sfx.find_first_not_of(digits), sfx.size())); !glued.empty()) {
                auto amended = glue_trailing(glued, body);
                if (!amended) return std::unexpected(amended.error());
                body = std::move(*amended);
                sfx.remove_prefix(glued.size());
            }
            auto kept = pfx.find_last_not_of(digits);
            kept = kept == npos ? 0 : kept + 1;
            if (kept < pfx.size()) {
                auto amended = glue_leading(pfx.substr(kept), body);
                if (!amended) return std::unexpected(amended.error());
                body = std::move(*amended);
                pfx = pfx.substr(0, kept);
            }
            if (auto checked = check_numbers(pfx); !checked) return std::unexpected(checked.error());
            if (sfx.starts_with('[')) return bad(expr, "\"][\": a bracket cannot follow a bracket");
            auto indexes = bracket(body);
            if (!indexes) return std::unexpected(indexes.error());
            if (auto added = append(names, pfx, *indexes); !added) return std::unexpected(added.error());
            bracket_at = sfx.find('[');
            op_at = sfx.find_first_of(operators);
        }
    }
    auto tail = cut(sfx, next_op, rest);
    if (!tail) return std::unexpected(tail.error());
    if (!bracketed) {
        if (tail->find(']') != npos) return bad(expr, "unbalanced ']' without '['");
        if (rstrip(*tail).empty()) return bad(expr, "empty term");
    }
    auto suffix = rstrip(*tail);
    if (auto checked = check_numbers(suffix); !checked) return std::unexpected(checked.error());
    for (auto& name : names) name += suffix;
    return names;
}

// "@name": clusterctl's groups come from the inventory, not from ClusterShell's groups.conf.
Result<Names> Parser::group(std::string_view text, const GroupResolver& groups, char& next_op,
                            std::string_view& rest) const {
    auto word = cut(text, next_op, rest);
    if (!word) return std::unexpected(word.error());
    auto name = rstrip(word->substr(1));
    if (!is_valid_group_name(name)) return bad(expr, fmt::format("invalid group name \"{}\"", name));
    auto members = groups(name);
    if (!members) return std::unexpected(members.error());
    if (members->size() > max_nodeset_size)
        return bad(expr, fmt::format("@{} has more than {} names", name, max_nodeset_size));
    return members;
}

void sort_unique(Names& names) {
    std::ranges::sort(names);
    names.erase(std::ranges::unique(names).begin(), names.end());
}

// ClusterShell's operators on sorted, unique lists.
Names apply(char op, const Names& left, const Names& right) {
    Names out;
    auto to = std::back_inserter(out);
    switch (op) {
        case '!': std::ranges::set_difference(left, right, to); break;
        case '&': std::ranges::set_intersection(left, right, to); break;
        case '^': std::ranges::set_symmetric_difference(left, right, to); break;
        default: std::ranges::set_union(left, right, to); break;
    }
    return out;
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
            auto x = strip_leading_zeros(a.substr(i, a_end - i)), y = strip_leading_zeros(b.substr(j, b_end - j));
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
    Parser parser{expr};
    auto text = strip(expr);
    if (text.empty()) return bad(expr, "empty expression");
    Names result, excluded;
    char op = ',';
    while (!text.empty()) {
        text = lstrip(text);
        // clusterctl's exclusion: "!x" where ClusterShell wants an operand after ',' (or at the
        // start), which ClusterShell refuses, removes x from the result wherever it stands.
        bool exclusion = op == ',' && text.starts_with('!');
        if (exclusion) text = lstrip(text.substr(1));
        char next_op = 0;
        std::string_view rest;
        auto names = text.starts_with('@') ? parser.group(text, groups, next_op, rest)
                                           : parser.operand(text, next_op, rest);
        if (!names) return std::unexpected(names.error());
        for (const auto& name : *names)
            if (!is_valid_node_name(name)) return bad(expr, fmt::format("\"{}\" is not a valid node name", name));
        sort_unique(*names);
        if (exclusion && next_op != 0 && next_op != ',')
            return bad(expr, fmt::format("an exclusion \"!x\" must be followed by ',' or end the expression, not '{}'",
                                         next_op));
        if (exclusion)
            excluded = apply(',', excluded, *names);
        else
            result = apply(op, result, *names);
        if (result.size() > max_nodeset_size || excluded.size() > max_nodeset_size) return too_many(expr);
        op = next_op;
        text = rest;
    }
    result = apply('!', result, excluded);
    std::ranges::sort(result, natural_less);
    return result;
}

}  // namespace cc

