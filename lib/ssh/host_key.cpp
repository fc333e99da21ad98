#include "ssh/host_key.hpp"

#include <openssl/evp.h>

#include <fmt/format.h>

namespace cc {

std::string base64_encode(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return std::nullopt;
    std::string out(3 * text.size() / 4 + 1, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    if (n < 0) return std::nullopt;
    // EVP_DecodeBlock counts padding as zero bytes; drop them.
    std::size_t padding = 0;
    if (!text.empty() && text.back() == '=') ++padding;
    if (text.size() > 1 && text[text.size() - 2] == '=') ++padding;
    out.resize(static_cast<std::size_t>(n) - padding);
    return out;
}

std::string sha256_fingerprint(std::string_view key_blob) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(key_blob.data(), key_blob.size(), digest, &length, EVP_sha256(), nullptr);
    std::string b64 = base64_encode(std::string_view(reinterpret_cast<const char*>(digest), length));
    while (!b64.empty() && b64.back() == '=') b64.pop_back();
    return "SHA256:" + b64;
}

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
