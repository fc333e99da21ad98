#include "ssh/host_key.hpp"

#include <fmt/format.h>

#include "core/base64.hpp"
#include "core/sha256.hpp"

namespace cc {

HostKey host_key_from_blob(std::string type, std::string_view blob) {
    return {std::move(type), base64_encode(blob), sha256_fingerprint(blob)};
}

namespace {

Result<void> expect_fingerprint(const std::string& where, const HostKey& seen, const std::string& expected) {
    if (expected.empty() || expected == seen.fingerprint) return {};
    return fail(ErrorKind::host_key, fmt::format("{}: host key fingerprint is {}, not the expected {}; refusing to connect",
                                                 where, seen.fingerprint, expected));
}

}  // namespace

Result<void> decide_host_key(const std::string& node, const std::string& where, const HostKey& seen,
                             const HostKeyCheck& check, const KnownHostsResult& known_hosts) {
    // A revoked key is refused whatever else trusts it: a pin, a flag, a policy.
    if (known_hosts.match == KnownHostsMatch::revoked)
        return fail(ErrorKind::host_key,
                    fmt::format("{}: host key {} {} is marked @revoked in {} (line {}); refusing to connect", where,
                                seen.type, seen.fingerprint, check.known_hosts_path, known_hosts.line));
    if (check.pinned) {
        if (check.pinned->base64 == seen.base64) return expect_fingerprint(where, seen, check.expected_fingerprint);
        if (!check.pinned_by.empty())
            return fail(ErrorKind::host_key,
                        fmt::format("{}: host key {} {} contradicts the key pinned for node \"{}\" at the same address "
                                    "({} {}); refusing. If that node was reinstalled, verify the new key and run "
                                    "`clusterctl node rekey {}` first",
                                    where, seen.type, seen.fingerprint, check.pinned_by, check.pinned->type,
                                    check.pinned->fingerprint, check.pinned_by));
        return fail(ErrorKind::host_key,
                    fmt::format("{}: host key changed (pinned {} {}, now {} {}); refusing to connect. If the node "
                                "was reinstalled, verify the new key and run `clusterctl node rekey {}`",
                                where, check.pinned->type, check.pinned->fingerprint, seen.type, seen.fingerprint,
                                node));
    }
    if (known_hosts.match == KnownHostsMatch::mismatch)
        return fail(ErrorKind::host_key,
                    fmt::format("{}: host key does not match {} (line {} has {}, server sent {} {}); refusing "
                                "to connect. If the node was reinstalled, verify the new key and remove the old "
                                "line (ssh-keygen -R)",
                                where, check.known_hosts_path, known_hosts.line, known_hosts.recorded_fingerprint,
                                seen.type, seen.fingerprint));
    if (!check.expected_fingerprint.empty()) return expect_fingerprint(where, seen, check.expected_fingerprint);
    if (known_hosts.match == KnownHostsMatch::match || check.accept_new) return {};
    std::string unsupported =
        known_hosts.unsupported.empty() ? "" : fmt::format(" ({}: {})", check.known_hosts_path, known_hosts.unsupported);
    return fail(ErrorKind::host_key,
                fmt::format("{}: unknown host key {} {}{}; verify it (ssh-keygen -lf on the node) and re-run with "
                            "--host-key-fingerprint {} or --accept-new-host-key",
                            where, seen.type, seen.fingerprint, unsupported, seen.fingerprint));
}

}  // namespace cc
