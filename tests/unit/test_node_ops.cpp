#include <doctest/doctest.h>

#include <fmt/format.h>

#include "fake_transport.hpp"
#include "ops/node_ops.hpp"
#include "temp_dir.hpp"

using namespace cc;

namespace {

struct Fixture {
    TempDir dir;
    Inventory inventory = std::move(*Inventory::open(dir.file("inv.db")));
    FakeTransport transport;
    OpsContext ctx{inventory, transport, Settings{}};

    Fixture() {
        transport.hosts["10.0.0.1"].always(facts_answer("n1"));
        transport.hosts["10.0.0.2"].always(facts_answer(
            "n2", "index, uuid, name, memory.used [MiB], memory.total [MiB], driver_version\n"
                  "0, GPU-aaaa, NVIDIA H100 80GB HBM3, 12, 81559, 590.48.01\n"));
        transport.hosts["10.0.0.2"].key = host_key_from_blob("ssh-ed25519", "n2-key");
    }

    Result<Node> add(const std::string& name, const std::string& host) {
        NodeAddRequest r;
        r.name = name;
        r.host = host;
        r.accept_new_host_key = true;
        return node_add(ctx, r);
    }
};

}  // namespace

TEST_CASE("node add gathers facts in one command and pins the host key") {
    Fixture f;
    auto node = f.add("gpu-2", "10.0.0.2");
    REQUIRE(node);
    CHECK(f.transport.commands().size() == 1);
    CHECK(node->host_key.fingerprint == f.transport.hosts["10.0.0.2"].key.fingerprint);
    CHECK(node->facts->gpus.size() == 1);
    CHECK(node->user == "root");
}

TEST_CASE("node add refuses an unknown host key and stores nothing") {
    Fixture f;
    NodeAddRequest r;
    r.name = "n1";
    r.host = "10.0.0.1";
    auto node = node_add(f.ctx, r);
    REQUIRE_FALSE(node);
    CHECK(node.error().kind == ErrorKind::host_key);
    CHECK(f.inventory.nodes().names()->empty());
}

TEST_CASE("node add with an unreachable host stores nothing") {
    Fixture f;
    auto node = f.add("n9", "10.0.0.9");
    REQUIRE_FALSE(node);
    CHECK(node.error().kind == ErrorKind::unreachable);
    CHECK(f.inventory.nodes().names()->empty());
}

TEST_CASE("node check reports each node, one timing out and one healthy") {
    Fixture f;
    REQUIRE(f.add("n1", "10.0.0.1"));
    REQUIRE(f.add("n2", "10.0.0.2"));
    f.transport.hosts["10.0.0.1"].connect_error = Error{ErrorKind::timeout, "node \"n1\": connect timed out"};
    auto reports = node_check(f.ctx, "n[1-2]");
    REQUIRE(reports);
    REQUIRE(reports->size() == 2);
    CHECK((*reports)[0].status == NodeStatus::timeout);
    CHECK((*reports)[0].error_kind == ErrorKind::timeout);
    CHECK((*reports)[1].status == NodeStatus::ok);
    CHECK((*reports)[1].value.checks.size() == 5);
}

TEST_CASE("node check fails a node whose host key changed") {
    Fixture f;
    REQUIRE(f.add("n1", "10.0.0.1"));
    f.transport.hosts["10.0.0.1"].key = host_key_from_blob("ssh-ed25519", "reinstalled");
    auto reports = node_check(f.ctx, "n1");
    REQUIRE(reports);
    CHECK((*reports)[0].error_kind == ErrorKind::host_key);
    CHECK((*reports)[0].value.checks[1].state == CheckState::failed);
}

TEST_CASE("judging facts: lost GPUs, runtime errors and a full disk fail the node") {
    Node node;
    Facts recorded;
    recorded.gpus = {{0, "GPU-a", "H100", 1}, {1, "GPU-b", "H100", 1}};
    node.facts = recorded;
    Facts now;
    now.runtime = "docker";
    now.runtime_error = "Cannot connect to the Docker daemon";
    now.nvidia_smi = true;
    now.gpus = {{0, "GPU-a", "H100", 1}};
    now.disk_free_bytes = 1 << 20;
    auto items = judge_facts(node, now, 2ull << 30);
    REQUIRE(items.size() == 3);
    CHECK(items[0].state == CheckState::failed);
    CHECK(items[0].detail.find("Docker daemon") != std::string::npos);
    CHECK(items[1].state == CheckState::failed);
    CHECK(items[1].detail == "1 of 2 recorded GPU(s) visible");
    CHECK(items[2].state == CheckState::failed);
}

TEST_CASE("a node that never had a driver has its GPU check skipped, not failed") {
    Node node;
    Facts now;
    now.runtime = "podman";
    now.disk_free_bytes = 10ull << 30;
    auto items = judge_facts(node, now, 2ull << 30);
    CHECK(items[1].state == CheckState::skipped);
}

TEST_CASE("facts refresh keeps going past a dead node and stores the rest") {
    Fixture f;
    REQUIRE(f.add("n1", "10.0.0.1"));
    REQUIRE(f.add("n2", "10.0.0.2"));
    f.transport.hosts["10.0.0.2"].connect_error = Error{ErrorKind::unreachable, "down"};
    f.transport.hosts["10.0.0.1"].always(facts_answer("renamed"));
    auto out = node_facts_refresh(f.ctx, "@all");
    REQUIRE(out);
    CHECK((*out)[0].status == NodeStatus::ok);
    CHECK((*out)[1].error_kind == ErrorKind::unreachable);
    CHECK(f.inventory.nodes().get("n1")->facts->hostname == "renamed");
}

TEST_CASE("label arguments: key=value sets, key- removes, anything else is named") {
    auto change = parse_label_args({"gpu=h100", "zone=", "rack-"});
    REQUIRE(change);
    CHECK(change->set.at("gpu") == "h100");
    CHECK(change->set.at("zone").empty());
    CHECK(change->remove == std::vector<std::string>{"rack"});
    auto bad = parse_label_args({"oops"});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("\"oops\"") != std::string::npos);
    CHECK_FALSE(parse_label_args({"bad key=1"}));
}

TEST_CASE("rekey pins the new key, and refuses one that does not match the expected fingerprint") {
    Fixture f;
    REQUIRE(f.add("n1", "10.0.0.1"));
    auto old_key = f.transport.hosts["10.0.0.1"].key;
    f.transport.hosts["10.0.0.1"].key = host_key_from_blob("ssh-ed25519", "new");
    CHECK_FALSE(node_rekey_plan(f.ctx, "n1", old_key.fingerprint));
    auto r = node_rekey_plan(f.ctx, "n1", "");
    REQUIRE(r);
    CHECK(r->old_key.fingerprint == old_key.fingerprint);
    CHECK(f.inventory.nodes().get("n1")->host_key.fingerprint == old_key.fingerprint);  // the plan changes nothing
    REQUIRE(node_rekey_apply(f.ctx, *r));
    CHECK(f.inventory.nodes().get("n1")->host_key.fingerprint == r->new_key.fingerprint);
    CHECK_FALSE(node_rekey_apply(f.ctx, *r));  // the pin moved since the plan: refused
}

TEST_CASE("node add refuses the names . and .. before connecting") {
    Fixture f;
    for (const char* name : {".", ".."}) {
        auto node = f.add(name, "10.0.0.1");
        REQUIRE_FALSE(node);
        CHECK(node.error().kind == ErrorKind::invalid_input);
        CHECK(node.error().message.find(fmt::format("\"{}\"", name)) != std::string::npos);
    }
    CHECK(f.add("..n", "10.0.0.1"));  // dots inside a name are fine
    CHECK(f.transport.commands().size() == 1);
}

TEST_CASE("node add refuses a key that contradicts another node's pin at the same address") {
    Fixture f;
    REQUIRE(f.add("n1", "10.0.0.1"));
    auto pinned = f.transport.hosts["10.0.0.1"].key;
    f.transport.hosts["10.0.0.1"].key = host_key_from_blob("ssh-ed25519", "reinstalled");
    auto twin = f.add("n1b", "10.0.0.1");
    REQUIRE_FALSE(twin);
    CHECK(twin.error().kind == ErrorKind::host_key);
    CHECK(twin.error().message.find("node \"n1\"") != std::string::npos);
    CHECK(twin.error().message.find(pinned.fingerprint) != std::string::npos);
    CHECK_FALSE(*f.inventory.nodes().find("n1b"));
    // The same key at the same address needs no flag: it is already trusted there.
    f.transport.hosts["10.0.0.1"].key = pinned;
    NodeAddRequest r;
    r.name = "n1c";
    r.host = "10.0.0.1";
    CHECK(node_add(f.ctx, r));
}

TEST_CASE("node set changes fields and groups in one go, and re-pins the host key on a new address") {
    Fixture f;
    REQUIRE(f.add("n1", "10.0.0.1"));
    NodeSetRequest r;
    r.name = "n1";
    r.user = "admin";
    r.group_changes = {"+gpu", "+rack1"};
    REQUIRE(node_set(f.ctx, r));
    CHECK(f.transport.commands().size() == 1);  // no new address: nothing contacted
    auto node = f.inventory.nodes().get("n1");
    CHECK(node->user == "admin");
    CHECK(node->groups == std::vector<std::string>{"gpu", "rack1"});

    NodeSetRequest move;
    move.name = "n1";
    move.host = "10.0.0.2";
    move.group_changes = {"-rack1"};
    auto unknown = node_set(f.ctx, move);  // an unknown key needs a flag, as node add
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().kind == ErrorKind::host_key);
    CHECK(f.inventory.nodes().get("n1")->host == "10.0.0.1");
    CHECK(f.inventory.nodes().get("n1")->groups.size() == 2);  // nothing changed
    move.accept_new_host_key = true;
    auto moved = node_set(f.ctx, move);
    REQUIRE(moved);
    CHECK(moved->host == "10.0.0.2");
    CHECK(moved->host_key.fingerprint == f.transport.hosts["10.0.0.2"].key.fingerprint);
    CHECK(moved->groups == std::vector<std::string>{"gpu"});
}

TEST_CASE("node set refuses bad values and an empty change with the value named") {
    Fixture f;
    REQUIRE(f.add("n1", "10.0.0.1"));
    NodeSetRequest r;
    r.name = "n1";
    CHECK(node_set(f.ctx, r).error().message.find("nothing to change") != std::string::npos);
    r.group_changes = {"gpu"};
    CHECK(node_set(f.ctx, r).error().message.find("\"gpu\"") != std::string::npos);
    r.group_changes = {"+all"};
    CHECK(node_set(f.ctx, r).error().message.find("\"all\"") != std::string::npos);
    r.group_changes.clear();
    r.port = 70000;
    CHECK(node_set(f.ctx, r).error().message.find("70000") != std::string::npos);
    r.port.reset();
    r.name = "nope";
    r.user = "u";
    CHECK(node_set(f.ctx, r).error().kind == ErrorKind::not_found);
}
