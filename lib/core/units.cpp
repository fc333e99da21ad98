#include "core/units.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>

#include <fmt/format.h>

namespace cc {
namespace {

// 128 bits hold any uint64 times any unit factor, so overflow is checked once at the end.
__extension__ using uint128 = unsigned __int128;

constexpr char duration_hint[] = "expected a number with unit ms, s, m, h or d, e.g. 30s, 1.5s, 500ms, 2h30m";
constexpr char size_hint[] =
    "expected a number with unit K, M, G, T, P or E (optionally followed by B or iB), e.g. 512M, 1.5G";

struct Unit {
    std::string_view name;
    std::uint64_t factor;
};

// Longest names first so "ms" is read before "m".
constexpr Unit duration_units[] = {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};

constexpr std::string_view byte_units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

std::string_view take_digits(std::string_view& text) {
    auto n = std::ranges::find_if_not(text, is_digit) - text.begin();
    auto digits = text.substr(0, n);
    text.remove_prefix(n);
    return digits;
}

struct Decimal {
    std::string_view whole, fraction;
};

// Reads "12", "1.5" or ".5" from the front of text.
std::optional<Decimal> take_decimal(std::string_view& text) {
    Decimal d{take_digits(text), {}};
    if (text.starts_with('.')) {
        text.remove_prefix(1);
        d.fraction = take_digits(text);
    }
    if (d.whole.empty() && d.fraction.empty()) return std::nullopt;
    return d;
}

struct Scaled {
    std::uint64_t value;  // rounded down
    bool exact;
};

// number * factor in exact integer arithmetic; nullopt when it exceeds 64 bits.
std::optional<Scaled> scale(const Decimal& number, std::uint64_t factor) {
    constexpr uint128 max = std::numeric_limits<std::uint64_t>::max();
    uint128 whole = 0;
    for (char c : number.whole)
        if ((whole = whole * 10 + (c - '0')) > max) return std::nullopt;
    auto fraction = number.fraction.substr(0, number.fraction.find_last_not_of('0') + 1);
    // Twenty digits keep fraction * factor inside 128 bits; a longer tail cannot be exact anyway.
    bool exact = fraction.size() <= 20;
    uint128 numerator = 0, denominator = 1;
    for (char c : fraction.substr(0, 20)) {
        numerator = numerator * 10 + (c - '0');
        denominator *= 10;
    }
    uint128 part = numerator * factor;
    exact = exact && part % denominator == 0;
    uint128 total = whole * factor + part / denominator;
    if (total > max) return std::nullopt;
    return Scaled{static_cast<std::uint64_t>(total), exact};
}

std::optional<std::uint64_t> take_duration_unit(std::string_view& text) {
    for (const auto& unit : duration_units)
        if (text.starts_with(unit.name)) {
            text.remove_prefix(unit.name.size());
            return unit.factor;
        }
    return std::nullopt;
}

// "", "B", "K", "KB", "KiB", ... in any case.
std::optional<std::uint64_t> size_factor(std::string_view unit) {
    std::string lower;
    for (char c : unit) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (lower.empty() || lower == "b") return 1;
    auto power = std::string_view("kmgtpe").find(lower.front());
    auto rest = std::string_view(lower).substr(1);
    if (power == std::string_view::npos || !(rest.empty() || rest == "b" || rest == "ib")) return std::nullopt;
    return std::uint64_t{1} << (10 * (power + 1));
}

}  // namespace

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
    auto bad = [&](std::string_view why) {
        return fail(ErrorKind::invalid_input, fmt::format("duration \"{}\": {}", text, why));
    };
    auto rest = trim(text);
    if (rest.empty()) return bad(fmt::format("empty; {}", duration_hint));
    if (rest.starts_with('-')) return bad("must not be negative");
    constexpr auto max = static_cast<std::uint64_t>(max_duration.count());
    const auto too_long = fmt::format("longer than the maximum of {}", format_duration(max_duration));
    std::uint64_t total = 0;
    for (bool first = true; !rest.empty(); first = false) {
        auto number = take_decimal(rest);
        if (!number) return bad(duration_hint);
        auto factor = first && rest.empty() ? std::optional<std::uint64_t>(1000) : take_duration_unit(rest);
        if (!factor) return bad(duration_hint);
        auto ms = scale(*number, *factor);
        if (!ms || ms->value > max - total) return bad(too_long);
        if (!ms->exact) return bad("finer than a millisecond");
        total += ms->value;
    }
    return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(total));
}

std::string format_duration(std::chrono::milliseconds d) {
    auto count = d.count();
    // Unsigned magnitude: negating the minimum int64 would overflow.
    std::uint64_t left = count < 0 ? std::uint64_t{0} - static_cast<std::uint64_t>(count)
                                   : static_cast<std::uint64_t>(count);
    std::string text = count < 0 ? "-" : "";
    // Days, hours, minutes as whole parts; what is left is written as decimal seconds or ms.
    for (const auto& unit : {duration_units[4], duration_units[3], duration_units[2]}) {
        if (left >= unit.factor) text += fmt::format("{}{}", left / unit.factor, unit.name);
        left %= unit.factor;
    }
    auto seconds = left / 1000, millis = left % 1000;
    if (seconds > 0 && millis > 0) {
        auto decimals = fmt::format("{:03}", millis);
        text += fmt::format("{}.{}s", seconds, decimals.substr(0, decimals.find_last_not_of('0') + 1));
    } else if (seconds > 0) {
        text += fmt::format("{}s", seconds);
    } else if (millis > 0) {
        text += fmt::format("{}ms", millis);
    }
    return text.empty() || text == "-" ? "0s" : text;
}

Result<std::uint64_t> parse_size(std::string_view text) {
    auto bad = [&](std::string_view why) {
        return fail(ErrorKind::invalid_input, fmt::format("size \"{}\": {}", text, why));
    };
    auto rest = trim(text);
    if (rest.empty()) return bad(fmt::format("empty; {}", size_hint));
    if (rest.starts_with('-')) return bad("must not be negative");
    auto number = take_decimal(rest);
    if (!number) return bad(size_hint);
    auto factor = size_factor(trim(rest));  // "1.5 GiB", as format_bytes writes it
    if (!factor) return bad(size_hint);
    auto bytes = scale(*number, *factor);
    if (!bytes) return bad("too large");
    if (*factor == 1 && !bytes->exact) return bad("a byte count must be a whole number");
    return bytes->value;
}

std::string format_bytes(std::uint64_t bytes) {
    constexpr std::size_t units = std::size(byte_units);
    std::size_t i = 0;
    while (i + 1 < units && bytes >= std::uint64_t{1} << (10 * (i + 1))) ++i;
    for (;; ++i) {
        std::uint64_t unit = std::uint64_t{1} << (10 * i);
        std::uint64_t whole = bytes / unit;
        std::uint64_t tenths = ((bytes % unit) * 10 + unit / 2) / unit;  // < 2^64 for unit <= 2^60
        if (tenths == 10) {
            ++whole;
            tenths = 0;
        }
        if (whole >= 1024 && i + 1 < units) continue;  // 1023.96 MiB reads better as 1 GiB
        if (tenths == 0) return fmt::format("{} {}", whole, byte_units[i]);
        return fmt::format("{}.{} {}", whole, tenths, byte_units[i]);
    }
}

}  // namespace cc
