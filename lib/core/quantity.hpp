// What a user may hold and what an instance asks for: CPUs in thousandths, GPU and
// instance counts, sizes (binary units, through units.hpp's parse_size), the
// `--quota k=v,…` list, the levels' defaults and the host port range.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cc {

// "0.5" → 500, "24.5" → 24500, "2" → 2000: CPUs to thousandths, as podman and docker's
// --cpus take them. Negative, empty, garbage, more than 3 decimals or more than 1,000,000
// CPUs are invalid_input naming the value.
Result<std::int64_t> parse_cpus(std::string_view text);
// 24500 → "24.5", 500 → "0.5", 2000 → "2": parses back with parse_cpus.
std::string format_cpus(std::int64_t milli);

// A whole count (GPUs, instances): 0 to 1,000,000.
Result<std::int64_t> parse_count(std::string_view what, std::string_view text);

// Everything a user may hold at once; also what a level gives.
struct ResourceLimits {
    std::int64_t gpus = 0;
    std::int64_t cpus_milli = 0;
    std::int64_t memory_bytes = 0;
    std::int64_t storage_bytes = 0;
    std::int64_t instances = 0;
    bool operator==(const ResourceLimits&) const = default;
};

// A user's own limits; an empty field is the level's default.
struct QuotaOverrides {
    std::optional<std::int64_t> gpus;
    std::optional<std::int64_t> cpus_milli;
    std::optional<std::int64_t> memory_bytes;
    std::optional<std::int64_t> storage_bytes;
    std::optional<std::int64_t> instances;
    bool operator==(const QuotaOverrides&) const = default;
};

// The quota keys in the order they are written and shown: gpus, cpus, memory, storage, instances.
const std::vector<std::string>& quota_keys();

// "gpus=2,cpus=24.5,memory=128G,storage=500G,instances=5" applied over `current`; a value
// of "default" empties that key (back to the level's). Unknown, repeated or empty keys and
// bad values are invalid_input naming the key and value; sizes are binary (128G = 128 GiB).
Result<QuotaOverrides> parse_quota(std::string_view text, QuotaOverrides current = {});

ResourceLimits effective_limits(const ResourceLimits& level, const QuotaOverrides& own);

// One limit as `--quota` writes it: "24.5" for cpus, "128GiB" for sizes, "2" for counts.
std::string format_limit(std::string_view key, std::int64_t value);
std::int64_t limit_of(const ResourceLimits& limits, std::string_view key);
std::optional<std::int64_t> own_limit(const QuotaOverrides& quota, std::string_view key);

// The levels labs use, smallest first: small, mid, big.
const std::vector<std::string>& level_names();
bool is_level_name(std::string_view name);
// The built-in defaults of a level (config may override them): small = 1 GPU, 12.5 CPUs,
// 64 GiB, 100 GiB, 2 instances; mid = 2, 24.5, 128 GiB, 500 GiB, 4; big = 4, 32.5, 250 GiB,
// 1 TiB, 8. Unknown names give small's.
ResourceLimits builtin_level(std::string_view name);

// Host ports instances are given: "30000-32767", both ends included, 1 to 65535.
struct PortRange {
    int first = 30000;
    int last = 32767;
    bool operator==(const PortRange&) const = default;
};
Result<PortRange> parse_port_range(std::string_view text);
std::string format_port_range(const PortRange& range);

}  // namespace cc
