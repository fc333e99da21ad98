#include "gpu/smi_value.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <limits>

namespace cc::smi {

std::string_view trim(std::string_view s) {
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && space(s.front())) s.remove_prefix(1);
    while (!s.empty() && space(s.back())) s.remove_suffix(1);
    return s;
}

bool unavailable(std::string_view value) {
    value = trim(value);
    if (value.empty() || value == "N/A" || value.starts_with("N/A ")) return true;
    return value.front() == '[' && value.back() == ']';
}

std::string text(std::string_view value) { return unavailable(value) ? std::string() : std::string(trim(value)); }

std::optional<double> number(std::string_view value) {
    value = trim(value);
    if (unavailable(value)) return std::nullopt;
    double result = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), result);
    if (ec != std::errc() || !std::isfinite(result)) return std::nullopt;
    std::string_view unit = trim(value.substr(static_cast<std::size_t>(end - value.data())));
    static constexpr std::array<std::string_view, 6> units = {"", "MiB", "W", "%", "C", "°C"};
    for (std::string_view known : units)
        if (unit == known) return result;
    return std::nullopt;
}

std::optional<int> whole(std::string_view value) {
    auto n = number(value);
    if (!n || std::fabs(*n) > std::numeric_limits<int>::max()) return std::nullopt;
    return static_cast<int>(std::lround(*n));
}

std::optional<std::uint64_t> count(std::string_view value) {
    auto n = number(value);
    // 2^63 bounds the conversion; no GPU has that many MiB.
    if (!n || *n < 0 || *n >= 9.2e18) return std::nullopt;
    return static_cast<std::uint64_t>(std::llround(*n));
}

}  // namespace cc::smi
