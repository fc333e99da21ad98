// Durations and sizes as users write them in flags and the config file, and
// as clusterctl prints them back. format_* output parses back with parse_*.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace cc {

// The longest duration parse_duration accepts. Every duration is a timeout, an
// interval or a lifetime; a longer one is a typo, and deadlines computed as
// now() + duration in nanoseconds overflow somewhere past 292 years.
inline constexpr std::chrono::milliseconds max_duration = std::chrono::days(365);

// "30", "30s", "1.5s", "500ms", "5m", "2h", "1d", and sums such as "2h30m";
// a bare number is seconds. Negative, empty, garbage, finer than a millisecond
// or longer than max_duration values are invalid_input naming the value.
Result<std::chrono::milliseconds> parse_duration(std::string_view text);

// "1.5s", "5m", "2h30m", "250ms", "0s".
std::string format_duration(std::chrono::milliseconds d);

// Bytes: "128G", "512M", "1.5T", "100", "64KiB", "2GB", "1.5 GiB". K/M/G/T/P/E
// with an optional B or iB, case-insensitive, all binary (1024) as docker and
// podman read them. Fractions of a unit round down; a bare byte count must be whole.
Result<std::uint64_t> parse_size(std::string_view text);

// "1.5 GiB", "512 MiB", "0 B": one decimal at most, binary units.
std::string format_bytes(std::uint64_t bytes);

}  // namespace cc
