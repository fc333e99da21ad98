// Node sets in the pdsh/ClusterShell syntax users already know:
// gpu[01-08], r[1-2]n[1-3], @group, @all, unions with ',' and exclusions
// with '!' (gpu[01-08],!gpu[03-04]). Names and hosts are validated here too,
// because every node name ends up in an SSH command line or a file path.
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace cc {

// A larger expansion is almost certainly a typo (gpu[1-1000000]); refusing it
// keeps a mistyped range from allocating millions of strings.
inline constexpr std::size_t max_nodeset_size = 100000;

// Resolves a group name ("all" for @all) to node names; returns not_found for unknown groups.
using GroupResolver = std::function<Result<std::vector<std::string>>(std::string_view group)>;

// Names in natural order (gpu2 < gpu10), duplicates removed. An expression
// made only of exclusions ("!gpu03") yields an empty list, not an error.
Result<std::vector<std::string>> expand_nodeset(std::string_view expr, const GroupResolver& groups);

// The inverse, compact form: {"gpu01","gpu02","gpu03","gpu07","cpu1"} -> "cpu1,gpu[01-03,07]".
// Names are grouped by prefix/suffix around their LAST numeric run; padding is
// kept, and names differing only in padding width (gpu1, gpu01) are not merged.
// Expects valid node names; expand_nodeset(fold_nodeset(v)) gives v sorted and unique.
std::string fold_nodeset(std::vector<std::string> names);

// Natural order: digit runs compare by value (gpu2 < gpu10); ties by bytes.
bool natural_less(std::string_view a, std::string_view b);

bool is_valid_node_name(std::string_view name);  // [A-Za-z0-9._-]+, not starting with '-', not . or .., at most 253 chars
Result<std::string> validate_node_name(std::string_view name);  // the name itself, or an error naming it

// A host name, IPv4 address or bracketless IPv6 literal (optionally with a
// %zone). Never starts with '-' (ssh would read an option) and never holds
// whitespace or shell metacharacters.
bool is_valid_host(std::string_view host);

}  // namespace cc
