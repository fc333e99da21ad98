#include "core/quantity.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

#include <fmt/format.h>

#include "core/strings.hpp"
#include "core/units.hpp"

namespace cc {

namespace {

constexpr std::int64_t kMaxCount = 1'000'000;

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// 128 GiB → "128GiB": one token, so a `--quota` list written from it parses back.
std::string compact_bytes(std::int64_t bytes) {
    std::string text = format_bytes(static_cast<std::uint64_t>(bytes));
    std::erase(text, ' ');
    if (text.ends_with("B") && !text.ends_with("iB")) text.pop_back();  // "0B" → "0"
    // format_bytes rounds to one decimal; a limit must read back exactly.
    auto back = parse_size(text);
    if (!back || *back != static_cast<std::uint64_t>(bytes)) return std::to_string(bytes);
    return text;
}

Result<std::int64_t> parse_bytes(std::string_view key, std::string_view text) {
    auto size = parse_size(text);
    if (!size) return fail(ErrorKind::invalid_input, fmt::format("{} \"{}\": {}", key, text, size.error().message));
    if (*size > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return fail(ErrorKind::invalid_input, fmt::format("{} \"{}\": too large", key, text));
    return static_cast<std::int64_t>(*size);
}

struct QuotaKey {
    std::string name;
    std::optional<std::int64_t> QuotaOverrides::*own;
    std::int64_t ResourceLimits::*limit;
    Result<std::int64_t> (*parse)(std::string_view key, std::string_view text);
};

const std::vector<QuotaKey>& quota_key_rows() {
    static const std::vector<QuotaKey> rows = {
        {"gpus", &QuotaOverrides::gpus, &ResourceLimits::gpus, parse_count},
        {"cpus", &QuotaOverrides::cpus_milli, &ResourceLimits::cpus_milli,
         [](std::string_view, std::string_view text) { return parse_cpus(text); }},
        {"memory", &QuotaOverrides::memory_bytes, &ResourceLimits::memory_bytes, parse_bytes},
        {"storage", &QuotaOverrides::storage_bytes, &ResourceLimits::storage_bytes, parse_bytes},
        {"instances", &QuotaOverrides::instances, &ResourceLimits::instances, parse_count},
    };
    return rows;
}

const QuotaKey* find_quota_key(std::string_view name) {
    for (const auto& row : quota_key_rows())
        if (row.name == name) return &row;
    return nullptr;
}

}  // namespace

Result<std::int64_t> parse_cpus(std::string_view text) {
    auto bad = [&](std::string_view why) {
        return fail(ErrorKind::invalid_input, fmt::format("cpus \"{}\": {}", text, why));
    };
    if (text.starts_with('-')) return bad("must not be negative");
    auto dot = text.find('.');
    std::string_view whole = text.substr(0, dot);
    std::string_view fraction = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
    if (!all_digits(whole) || (dot != std::string_view::npos && !all_digits(fraction)))
        return bad("expected a number of CPUs such as 2, 0.5 or 24.5");
    if (fraction.size() > 3) return bad("at most 3 decimals (thousandths of a CPU)");
    if (whole.size() > 7) return bad("more than 1000000 CPUs");
    std::int64_t value = 0;
    std::from_chars(whole.data(), whole.data() + whole.size(), value);
    if (value > kMaxCount) return bad("more than 1000000 CPUs");
    std::int64_t milli = value * 1000;
    std::int64_t scale = 100;
    for (char c : fraction) {
        milli += (c - '0') * scale;
        scale /= 10;
    }
    if (milli > kMaxCount * 1000) return bad("more than 1000000 CPUs");
    return milli;
}

std::string format_cpus(std::int64_t milli) {
    std::string text = fmt::format("{}.{:03}", milli / 1000, milli % 1000);
    while (text.ends_with('0')) text.pop_back();
    if (text.ends_with('.')) text.pop_back();
    return text;
}

Result<std::int64_t> parse_count(std::string_view what, std::string_view text) {
    if (!all_digits(text) || text.size() > 7)
        return fail(ErrorKind::invalid_input,
                    fmt::format("{} \"{}\": expected a whole number from 0 to {}", what, text, kMaxCount));
    std::int64_t value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    if (value > kMaxCount)
        return fail(ErrorKind::invalid_input,
                    fmt::format("{} \"{}\": expected a whole number from 0 to {}", what, text, kMaxCount));
    return value;
}

const std::vector<std::string>& quota_keys() {
    static const std::vector<std::string> keys = [] {
        std::vector<std::string> out;
        for (const auto& row : quota_key_rows()) out.push_back(row.name);
        return out;
    }();
    return keys;
}

Result<QuotaOverrides> parse_quota(std::string_view text, QuotaOverrides current) {
    std::vector<std::string_view> seen;
    for (std::string_view item : split(text, ',')) {
        auto eq = item.find('=');
        std::string_view key = item.substr(0, eq);
        const QuotaKey* row = find_quota_key(key);
        if (!row)
            return fail(ErrorKind::invalid_input, fmt::format("quota \"{}\": unknown key \"{}\" (known: {})", text, key,
                                                              join(quota_keys(), ", ")));
        if (eq == std::string_view::npos)
            return fail(ErrorKind::invalid_input, fmt::format("quota \"{}\": \"{}\" has no value ({}=…)", text, key, key));
        if (std::find(seen.begin(), seen.end(), key) != seen.end())
            return fail(ErrorKind::invalid_input, fmt::format("quota \"{}\": \"{}\" given twice", text, key));
        seen.push_back(key);
        std::string_view value = item.substr(eq + 1);
        if (value == "default") {
            current.*(row->own) = std::nullopt;
            continue;
        }
        auto parsed = row->parse(key, value);
        if (!parsed) return fail(ErrorKind::invalid_input, fmt::format("quota: {}", parsed.error().message));
        current.*(row->own) = *parsed;
    }
    return current;
}

ResourceLimits effective_limits(const ResourceLimits& level, const QuotaOverrides& own) {
    ResourceLimits out = level;
    for (const auto& row : quota_key_rows())
        if (own.*(row.own)) out.*(row.limit) = *(own.*(row.own));
    return out;
}

std::string format_limit(std::string_view key, std::int64_t value) {
    if (key == "cpus") return format_cpus(value);
    if (key == "memory" || key == "storage") return compact_bytes(value);
    return std::to_string(value);
}

std::int64_t limit_of(const ResourceLimits& limits, std::string_view key) {
    const QuotaKey* row = find_quota_key(key);
    return row ? limits.*(row->limit) : 0;
}

std::optional<std::int64_t> own_limit(const QuotaOverrides& quota, std::string_view key) {
    const QuotaKey* row = find_quota_key(key);
    return row ? quota.*(row->own) : std::nullopt;
}

const std::vector<std::string>& level_names() {
    static const std::vector<std::string> names = {"small", "mid", "big"};
    return names;
}

bool is_level_name(std::string_view name) {
    const auto& names = level_names();
    return std::find(names.begin(), names.end(), name) != names.end();
}

ResourceLimits builtin_level(std::string_view name) {
    constexpr std::int64_t GiB = std::int64_t{1} << 30;
    if (name == "mid") return {2, 24'500, 128 * GiB, 500 * GiB, 4};
    if (name == "big") return {4, 32'500, 250 * GiB, 1024 * GiB, 8};
    return {1, 12'500, 64 * GiB, 100 * GiB, 2};
}

Result<PortRange> parse_port_range(std::string_view text) {
    auto bad = [&]() {
        return fail(ErrorKind::invalid_input,
                    fmt::format("port range \"{}\": expected FIRST-LAST, ports from 1 to 65535, FIRST <= LAST", text));
    };
    auto dash = text.find('-');
    if (dash == std::string_view::npos) return bad();
    auto first = parse_count("port", text.substr(0, dash));
    auto last = parse_count("port", text.substr(dash + 1));
    if (!first || !last || *first < 1 || *last > 65535 || *first > *last) return bad();
    return PortRange{static_cast<int>(*first), static_cast<int>(*last)};
}

std::string format_port_range(const PortRange& range) { return fmt::format("{}-{}", range.first, range.last); }

}  // namespace cc
