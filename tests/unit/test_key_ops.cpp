// Key use cases through the scripted fake: one node's authorized_keys served
// by the read and compare-and-swap scripts' answers.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/sha256.hpp"
#include "core/shell_quote.hpp"
#include "fanout/exit_code.hpp"
#include "fake_transport.hpp"
#include "keys/authorized_keys.hpp"
#include "keys/remote_authorized_keys.hpp"
#include "ops/keys.hpp"
#include "ops/node_ops.hpp"
#include "sectioned_output.hpp"
#include "temp_dir.hpp"

using namespace cc;

namespace {

// Node n1 (10.0.0.1) whose root authorized_keys is `content`, read and
// swapped the way the node's scripts would.
struct KeyNode {
    TempDir dir;
    Inventory inventory = std::move(*Inventory::open(dir.file("inv.db")));
    FakeTransport transport;
    OpsContext ctx{inventory, transport, Settings{}};
    std::string content;
    int swaps = 0;

    KeyNode() {
        FakeHost& host = transport.hosts["10.0.0.1"];
        host.always(facts_answer("n1"));
        NodeAddRequest r;
        r.name = "n1";
        r.host = "10.0.0.1";
        r.accept_new_host_key = true;
        REQUIRE(node_add(ctx, r));
        host.always(computed([this](const FakeCall& call) {
                std::smatch m;
                REQUIRE(std::regex_search(call.command, m, std::regex("@@%s %s[^0-9a-f]*([0-9a-f]{32})")));
                return exits(0, framed(m[1].str(), {{"home", "/root"}, {"uid", "0"}, {"gid", "0"}, {"exists", "1"},
                                                    {"content", content}})).result;
            }))
            .on("mktemp", {computed([this](const FakeCall& call) {
                ++swaps;
                // the expected hash is an argument of the write script
                std::smatch m;
                REQUIRE(std::regex_search(call.command, m, std::regex("[0-9a-f]{64}")));
                if (sha256_hex(content) != m[0].str()) return exits(75).result;
                content = call.input;
                return exits(0).result;
            })});
        transport.forget_records();
    }

    // Registers a fresh ed25519 key pair as NAME; returns its public line.
    std::string add_key(const std::string& name) {
        std::string file = dir.file(name);
        REQUIRE(std::system(("ssh-keygen -q -t ed25519 -N '' -C " + name + " -f " + shell_quote(file)).c_str()) == 0);
        KeyAddRequest request;
        request.name = name;
        request.public_key_text = slurp(file + ".pub");
        request.source = file + ".pub";
        REQUIRE(key_add(ctx, request));
        std::string line = request.public_key_text;
        return line.substr(0, line.find('\n'));
    }
};

}  // namespace

TEST_CASE("key rotate through the fake: NEW goes in, a login with NEW is tried, then OLD comes out") {
    KeyNode node;
    std::string old_line = node.add_key("old");
    std::string new_line = node.add_key("new");
    node.content = "# hand-written\n" + std::string(kManagedBegin) + "\n" + old_line + "\n" + std::string(kManagedEnd) + "\n";
    REQUIRE(node.inventory.keys().record_placements({{"old", "n1", "root", "", "2026-01-01T00:00:00Z"}}, {}));

    KeyRotateRequest request;
    request.old_key = "old";
    request.new_key = "new";
    request.nodeset = "n1";
    request.identity_files = {node.dir.file("new")};
    auto rotated = key_rotate(node.ctx, request);
    REQUIRE(rotated);
    REQUIRE(rotated->size() == 1);
    const auto& account = (*rotated)[0];
    CHECK(account.status == NodeStatus::ok);
    CHECK(account.value.remote_user == "root");
    CHECK(account.value.login_verified == true);
    CHECK(account.value.added == std::vector<std::string>{"new"});
    CHECK(account.value.removed == std::vector<std::string>{"old"});
    // push, then remove: two swaps, and the file keeps what was not ours
    CHECK(node.swaps == 2);
    CHECK(node.content.starts_with("# hand-written\n"));
    CHECK(node.content.find(new_line.substr(0, 80)) != std::string::npos);
    CHECK(node.content.find(old_line.substr(0, 80)) == std::string::npos);
    // one connection for the edits, one for the login with NEW
    CHECK(node.transport.connects().size() == 2);
    auto placements = node.inventory.keys().placements();
    REQUIRE(placements);
    REQUIRE(placements->size() == 1);
    CHECK((*placements)[0].key == "new");
}

TEST_CASE("key rotate keeps OLD where a login with NEW fails, and says so") {
    KeyNode node;
    std::string old_line = node.add_key("old");
    std::string new_line = node.add_key("new");
    node.content = std::string(kManagedBegin) + "\n" + old_line + "\n" + std::string(kManagedEnd) + "\n";
    REQUIRE(node.inventory.keys().record_placements({{"old", "n1", "root", "", "2026-01-01T00:00:00Z"}}, {}));
    // the login with NEW alone (no agent) is refused
    node.transport.hosts["10.0.0.1"].refuse_login = [](const Target& t) -> std::optional<Error> {
        if (t.use_agent) return std::nullopt;
        return Error{ErrorKind::auth, "authentication failed"};
    };
    KeyRotateRequest request;
    request.old_key = "old";
    request.new_key = "new";
    request.nodeset = "n1";
    request.identity_files = {node.dir.file("new")};
    auto rotated = key_rotate(node.ctx, request);
    REQUIRE(rotated);
    const auto& account = (*rotated)[0];
    CHECK(account.status == NodeStatus::unreachable);
    CHECK(std::string(node_status_word(account.status, account.error_kind)) == "auth");
    CHECK(account.error.find("so \"old\" was kept") != std::string::npos);
    CHECK(account.value.login_verified == false);
    CHECK(node.swaps == 1);  // NEW pushed, OLD never taken out
    CHECK(node.content.find(old_line.substr(0, 80)) != std::string::npos);
    CHECK(node.content.find(new_line.substr(0, 80)) != std::string::npos);
    CHECK(fanout_exit_code(*rotated) == kExitPartial);
}
