// OpenSSH known_hosts, read the way ssh reads it. libssh2 1.10's reader takes
// `@revoked` for a host name (so a revoked key was trusted): we parse the file
// ourselves — markers, hashed names, [host]:port, patterns with * ? and !.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "ssh/host_key.hpp"

namespace cc {

// Larger files are refused rather than read: a known_hosts is a few KB.
constexpr std::size_t kMaxKnownHostsBytes = 4 * 1024 * 1024;

enum class KnownHostsMarker { none, revoked, cert_authority };

struct KnownHostsEntry {
    KnownHostsMarker marker = KnownHostsMarker::none;
    std::string type;    // "ssh-ed25519"
    std::string base64;  // the key blob as written
    int line = 0;        // 1-based, for messages
};

// The name ssh looks up: "host" for port 22, "[host]:port" otherwise.
std::string known_hosts_name(std::string_view host, int port);

// Whether one host field (comma-separated patterns or one |1|salt|hash) names
// `name` (as known_hosts_name gives it), as OpenSSH's match_hostname does.
bool known_hosts_field_matches(std::string_view field, std::string_view name);

// Every entry of `text` (a known_hosts file's contents) for host:port, in file order.
std::vector<KnownHostsEntry> find_known_hosts(std::string_view text, std::string_view host, int port);

// Reads `path` (~ expanded) with a size bound; a missing file has no entries.
Result<std::vector<KnownHostsEntry>> read_known_hosts(const std::string& path, std::string_view host, int port);

// What the entries say about the key the server presented: revoked beats a
// match; a mismatch is a different key of the same type (as ssh decides).
KnownHostsResult judge_known_hosts(const std::vector<KnownHostsEntry>& entries, const HostKey& seen);

// Key types known for the host (plain entries), to offer first in the handshake.
std::vector<std::string> known_key_types(const std::vector<KnownHostsEntry>& entries);

}  // namespace cc
