#include <doctest/doctest.h>

#include "ssh/host_key.hpp"
#include "ssh/private_key.hpp"
#include "temp_dir.hpp"

using namespace cc;

namespace {
HostKey key(const std::string& blob) { return host_key_from_blob("ssh-ed25519", blob); }
}  // namespace

TEST_CASE("a pinned key is the only key accepted, and a change names both fingerprints") {
    HostKeyCheck check;
    check.pinned = key("old");
    check.accept_new = true;  // never overrides a pin
    CHECK(decide_host_key("n", "node \"n\"", key("old"), check, {}));
    auto changed = decide_host_key("n", "node \"n\"", key("new"), check, {});
    REQUIRE_FALSE(changed);
    CHECK(changed.error().kind == ErrorKind::host_key);
    CHECK(changed.error().message.find(key("old").fingerprint) != std::string::npos);
    CHECK(changed.error().message.find(key("new").fingerprint) != std::string::npos);
    CHECK(changed.error().message.find("node rekey") != std::string::npos);
}

TEST_CASE("the changed-host-key hint names the node to rekey") {
    HostKeyCheck check;
    check.pinned = key("old");
    auto changed = decide_host_key("node03", "node \"node03\" (root@10.0.0.3:22)", key("new"), check, {});
    REQUIRE_FALSE(changed);
    CHECK(changed.error().message.find("`clusterctl node rekey node03`") != std::string::npos);
}

TEST_CASE("a key that contradicts another node's pin at the same address names that node and both keys") {
    HostKeyCheck check;
    check.pinned = key("old");
    check.pinned_by = "node03";
    check.accept_new = true;  // does not override the other node's pin
    auto r = decide_host_key("node03b", "node \"node03b\"", key("new"), check, {});
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::host_key);
    CHECK(r.error().message.find("node \"node03\"") != std::string::npos);
    CHECK(r.error().message.find(key("old").fingerprint) != std::string::npos);
    CHECK(r.error().message.find(key("new").fingerprint) != std::string::npos);
    CHECK(r.error().message.find("rekey node03`") != std::string::npos);
    CHECK(decide_host_key("node03b", "n", key("old"), check, {}));  // the same key is the same host
    check.expected_fingerprint = key("other").fingerprint;  // but an expected fingerprint still has the last word
    CHECK_FALSE(decide_host_key("node03b", "n", key("old"), check, {}));
}

TEST_CASE("an unknown key is refused unless accepted, expected or in known_hosts") {
    HostKeyCheck check;
    auto unknown = decide_host_key("n", "n", key("k"), check, {});
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message.find("unknown host key") != std::string::npos);
    CHECK(decide_host_key("n", "n", key("k"), check, {KnownHostsMatch::match, "", 1, ""}));
    check.accept_new = true;
    CHECK(decide_host_key("n", "n", key("k"), check, {}));
    HostKeyCheck expected;
    expected.expected_fingerprint = key("k").fingerprint;
    CHECK(decide_host_key("n", "n", key("k"), expected, {}));
    CHECK_FALSE(decide_host_key("n", "n", key("other"), expected, {}));
}

TEST_CASE("a known_hosts mismatch is refused even with accept-new") {
    HostKeyCheck check;
    check.accept_new = true;
    auto r = decide_host_key("n", "n", key("k"), check, {KnownHostsMatch::mismatch, "SHA256:recorded", 1, ""});
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("SHA256:recorded") != std::string::npos);
}

TEST_CASE("private key files are recognised by type and passphrase") {
    TempDir dir;
    std::string path = dir.file("id_test");
    REQUIRE(std::system(("ssh-keygen -q -t ed25519 -N '' -f " + path).c_str()) == 0);
    auto info = inspect_private_key(path);
    CHECK(info.readable);
    CHECK(info.type == "ssh-ed25519");
    CHECK_FALSE(info.encrypted);
    std::string locked = dir.file("id_locked");
    REQUIRE(std::system(("ssh-keygen -q -t ecdsa -N secret -f " + locked).c_str()) == 0);
    auto locked_info = inspect_private_key(locked);
    CHECK(locked_info.type == "ecdsa-sha2-nistp256");
    CHECK(locked_info.encrypted);
    CHECK_FALSE(inspect_private_key(dir.file("missing")).readable);
}
