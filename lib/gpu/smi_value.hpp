// Single values as nvidia-smi and rocm-smi print them: "26.20 W", "[N/A]",
// "N/A (Secondary die)", " 596". Shared by the vendor parsers; not an API.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cc::smi {

std::string_view trim(std::string_view s);

// "[N/A]", "[Not Supported]", "[Unknown Error]" (any bracketed word), "N/A",
// "N/A (…)", "" : the tool has no value for this GPU.
bool unavailable(std::string_view value);

// The trimmed value, or "" when unavailable.
std::string text(std::string_view value);

// A number, optionally followed by one of the units the tools print
// ("MiB", "W", "%", "C", "°C"); nullopt for anything else.
std::optional<double> number(std::string_view value);
std::optional<int> whole(std::string_view value);             // rounded
std::optional<std::uint64_t> count(std::string_view value);   // rounded, never negative

}  // namespace cc::smi
