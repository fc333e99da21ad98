// Host key identity and the one decision about whether to trust a key.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/host_key_value.hpp"

namespace cc {

HostKey host_key_from_blob(std::string type, std::string_view blob);

enum class KnownHostsMatch { not_found, match, mismatch, revoked };

struct HostKeyCheck {
    std::optional<HostKey> pinned;     // from the inventory: anything else is refused
    // The node the pin belongs to when it is another node's at the same
    // host:port (node add/set); "" when it is the target node's own.
    std::string pinned_by;
    std::string known_hosts_path;      // always consulted for @revoked; for trust when nothing is pinned
    std::string expected_fingerprint;  // --host-key-fingerprint
    bool accept_new = false;           // --accept-new-host-key / policy accept-new
};

struct KnownHostsResult {
    KnownHostsMatch match = KnownHostsMatch::not_found;
    std::string recorded_fingerprint;  // when mismatch or revoked
    int line = 0;                      // of the entry that decided
    std::string unsupported;           // why a matching line was not trusted (@cert-authority)
};

// `node` is the inventory name, for the `clusterctl node rekey NODE` hint;
// `where` names the target for messages: `node "gpu01" (root@10.0.0.1:22)`.
Result<void> decide_host_key(const std::string& node, const std::string& where, const HostKey& seen,
                             const HostKeyCheck& check, const KnownHostsResult& known_hosts);

}  // namespace cc
