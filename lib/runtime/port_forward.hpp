// Ports added to a running container (`port-map add`). Podman 4.3 and docker cannot
// publish a port on a running container, so these are DNAT rules in the node's own
// iptables (Debian 12: the nft backend, which netavark and docker use too):
//
//   nat PREROUTING / OUTPUT  -m addrtype --dst-type LOCAL -j CLUSTERCTL-PORTMAP
//   nat CLUSTERCTL-PORTMAP   -j CCPM-<20 hex of sha256(instance)>      (one jump per instance)
//   nat CCPM-…               -p tcp --dport HOST -j DNAT --to-destination IP:PORT
//   filter FORWARD           -j CLUSTERCTL-FORWARD  (-m conntrack --ctstate DNAT -j ACCEPT:
//                                                    docker sets FORWARD's policy to DROP)
//
// An instance's chain is replaced whole by one `iptables-restore --noflush` (its
// `:CHAIN - [0:0]` line declares and flushes it in the same commit), so a reader never sees
// half a set. Pure builders: the chain name comes from a hash, never the raw name; the
// restore text holds only validated numbers, an IPv4 address and a validated container name.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "runtime/container.hpp"

namespace cc {

inline constexpr const char* kPortMapChain = "CLUSTERCTL-PORTMAP";
inline constexpr const char* kPortMapForwardChain = "CLUSTERCTL-FORWARD";

// "CCPM-" and the first 20 hex digits of sha256(instance): 25 characters (iptables allows 28).
std::string forward_chain_name(std::string_view instance);

// The iptables-restore input that makes the instance's chain hold exactly `ports`, each
// DNATed to `container_ip` (dotted IPv4). Refuses a name outside the container-name rule,
// an address that is not IPv4, port 0 and protocols other than tcp/udp.
Result<std::string> forward_restore_text(const std::string& instance, const std::string& container_ip,
                                         const std::vector<PortMap>& ports);

// The node's side of a sync: `sh -c SCRIPT … CHAIN set|clear` (a fixed script; the chain is its
// one argument). set: ensures the shared chains and their jumps exist, feeds stdin (the restore
// text) to `iptables-restore --noflush`, then jumps to the instance's chain; clear: removes the
// jump and the chain (nothing left when there was none). Serialised on the node by flock, so
// two clusterctl runs never insert a jump twice.
std::vector<std::string> forward_set_argv(std::string_view instance);
std::vector<std::string> forward_clear_argv(std::string_view instance);

}  // namespace cc
