// Node sets in ClusterShell 1.9's syntax, with its meaning (tests/nodeset/differential.py
// compares both over ~1,300 expressions): gpu[01-08], r[1-2]n[1-3], prod-2[10-320],
// operators evaluated left to right: ',' union, '!' difference, '&' intersection, '^'
// symmetric difference. clusterctl's own: @group and @all from the inventory, and an
// exclusion term ",!x" (ClusterShell refuses it) that removes x wherever it stands.
// Names and hosts are validated here too, because every node name ends up in an SSH
// command line or a file path; man/clusterctl.1 (NODESET) lists every difference.
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

// Names in natural order (gpu2 < gpu10), duplicates removed. A set that ends up
// empty ("!gpu03", "a&b") is an empty list here; callers that act on nodes refuse it.
Result<std::vector<std::string>> expand_nodeset(std::string_view expr, const GroupResolver& groups);

// The inverse, compact form, as ClusterShell folds: {"gpu01","gpu02","gpu03","gpu07","cpu1"}
// -> "cpu1,gpu[01-03,07]"; every number of a name folds ("n[1-50000]p[1-2]"); padding is
// kept ("n[1-9,01-10]": shorter first). O(n log n). Expects valid node names;
// expand_nodeset(fold_nodeset(v)) gives v sorted and unique.
std::string fold_nodeset(std::vector<std::string> names);

// Natural order: digit runs compare by value (gpu2 < gpu10); ties by bytes.
bool natural_less(std::string_view a, std::string_view b);

bool is_valid_group_name(std::string_view name);  // [A-Za-z0-9._-]+
bool is_valid_node_name(std::string_view name);  // [A-Za-z0-9._-]+, not starting with '-', not . or .., at most 253 chars
Result<std::string> validate_node_name(std::string_view name);  // the name itself, or an error naming it

// A host name, IPv4 address or bracketless IPv6 literal (optionally with a
// %zone). Never starts with '-' (ssh would read an option) and never holds
// whitespace or shell metacharacters.
bool is_valid_host(std::string_view host);

}  // namespace cc
