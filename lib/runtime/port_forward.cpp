#include "runtime/port_forward.hpp"

#include <arpa/inet.h>

#include <fmt/format.h>

#include "core/sha256.hpp"

namespace cc {

namespace {

// Runs as root on the node. "$1" is the chain (hash-derived), "$2" set|clear. The lock file
// sits in /run (root's alone), not /run/lock (world-writable: a planted symlink there would
// be followed). iptables -w waits for the legacy backend's xtables lock as well.
constexpr const char* kSyncScript = R"SH(set -e
chain=$1
exec 9>>/run/clusterctl-portmap.lock
flock -w 20 9
ipt() { iptables -w 20 "$@"; }
if [ "$2" = clear ]; then
  while ipt -t nat -D CLUSTERCTL-PORTMAP -j "$chain" 2>/dev/null; do :; done
  if ipt -t nat -S "$chain" >/dev/null 2>&1; then ipt -t nat -F "$chain"; ipt -t nat -X "$chain"; fi
  exit 0
fi
ipt -t nat -S CLUSTERCTL-PORTMAP >/dev/null 2>&1 || ipt -t nat -N CLUSTERCTL-PORTMAP
for hook in PREROUTING OUTPUT; do
  ipt -t nat -C "$hook" -m addrtype --dst-type LOCAL -j CLUSTERCTL-PORTMAP 2>/dev/null ||
    ipt -t nat -I "$hook" 1 -m addrtype --dst-type LOCAL -j CLUSTERCTL-PORTMAP
done
ipt -t filter -S CLUSTERCTL-FORWARD >/dev/null 2>&1 || ipt -t filter -N CLUSTERCTL-FORWARD
ipt -t filter -C CLUSTERCTL-FORWARD -m conntrack --ctstate DNAT -j ACCEPT 2>/dev/null ||
  ipt -t filter -A CLUSTERCTL-FORWARD -m conntrack --ctstate DNAT -j ACCEPT
ipt -t filter -C FORWARD -j CLUSTERCTL-FORWARD 2>/dev/null || ipt -t filter -I FORWARD 1 -j CLUSTERCTL-FORWARD
iptables-restore -w 20 --noflush
ipt -t nat -C CLUSTERCTL-PORTMAP -j "$chain" 2>/dev/null || ipt -t nat -A CLUSTERCTL-PORTMAP -j "$chain"
)SH";

std::vector<std::string> sync_argv(std::string_view instance, const char* mode) {
    return {"sh", "-c", kSyncScript, "clusterctl-port-map", forward_chain_name(instance), mode};
}

bool is_ipv4(const std::string& text) {
    in_addr address{};
    return ::inet_pton(AF_INET, text.c_str(), &address) == 1;
}

}  // namespace

std::string forward_chain_name(std::string_view instance) { return "CCPM-" + sha256_hex(instance).substr(0, 20); }

Result<std::string> forward_restore_text(const std::string& instance, const std::string& container_ip,
                                         const std::vector<PortMap>& ports) {
    // The name goes into a rule comment: only the runtime's own name characters may.
    if (auto ok = validate_container_name(instance); !ok) return std::unexpected(ok.error());
    if (!is_ipv4(container_ip))
        return fail(ErrorKind::remote,
                    fmt::format("instance \"{}\": container address \"{}\" is not an IPv4 address", instance,
                                container_ip.substr(0, 64)));
    std::string chain = forward_chain_name(instance);
    // iptables limits a comment to 256 bytes; the chain's hash names the instance anyway.
    std::string comment = "clusterctl port-map " + instance.substr(0, 200);
    std::string text = fmt::format("*nat\n:{} - [0:0]\n", chain);
    for (const auto& p : ports) {
        if (p.proto != "tcp" && p.proto != "udp")
            return fail(ErrorKind::invalid_input, fmt::format("protocol \"{}\": expected tcp or udp", p.proto.substr(0, 16)));
        if (p.host == 0 || p.container == 0)
            return fail(ErrorKind::invalid_input, fmt::format("port {}:{}: expected 1 to 65535", p.host, p.container));
        text += fmt::format("-A {} -p {} -m {} --dport {} -m comment --comment \"{}\" -j DNAT --to-destination {}:{}\n",
                            chain, p.proto, p.proto, p.host, comment, container_ip, p.container);
    }
    text += "COMMIT\n";
    return text;
}

std::vector<std::string> forward_set_argv(std::string_view instance) { return sync_argv(instance, "set"); }
std::vector<std::string> forward_clear_argv(std::string_view instance) { return sync_argv(instance, "clear"); }

}  // namespace cc
