// The ports a node listens on, read from /proc/net so no tool (ss, netstat)
// is needed: a host port is given to an instance only when nothing holds it.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "inventory/claims.hpp"

namespace cc {

// One constant line (no user input): the tcp tables, a separator line, the udp tables.
std::string listening_ports_command();

// TCP sockets in LISTEN and bound UDP sockets, IPv4 and IPv6, each port once, sorted.
// The output is the node's: over kMaxProcNetBytes or a malformed line is an error.
constexpr std::size_t kMaxProcNetBytes = 16 * 1024 * 1024;
Result<std::vector<HostPort>> parse_listening_ports(std::string_view output);

}  // namespace cc
