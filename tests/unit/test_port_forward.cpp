#include <doctest/doctest.h>

#include "fake_transport.hpp"
#include "inventory/inventory.hpp"
#include "inventory/schema.hpp"
#include "ops/port_map.hpp"
#include "remote/command.hpp"
#include "runtime/port_forward.hpp"
#include "sample_node.hpp"
#include "temp_dir.hpp"

using namespace cc;

namespace {

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

std::string running_inspect() {
    std::string text = slurp(std::string(CLUSTERCTL_FIXTURES_DIR) + "/runtime/podman-4.3-inspect-running.json");
    REQUIRE(!text.empty());
    return text;
}

}  // namespace

TEST_CASE("the chain is CCPM- and 20 hex digits of the name's sha256, within iptables' 28 characters") {
    CHECK(forward_chain_name("web") == "CCPM-4b5e57f6eb2f42b9039b");  // printf web | sha256sum
    for (const std::string& name : std::vector<std::string>{"a", "web", std::string(253, 'x'), "x;$(reboot)"}) {
        std::string chain = forward_chain_name(name);
        CHECK(chain.size() == 25);
        CHECK(chain.starts_with("CCPM-"));
        CHECK(chain.find_first_not_of("CCPM-0123456789abcdef") == std::string::npos);
    }
    CHECK(forward_chain_name("web") != forward_chain_name("web2"));
}

TEST_CASE("the restore text declares the instance's chain and DNATs each port to the container") {
    auto text = forward_restore_text("web", "10.88.0.3", {{30001, 8080, "tcp"}, {30002, 53, "udp"}});
    REQUIRE(text);
    std::string chain = forward_chain_name("web");
    CHECK(*text == "*nat\n"
                   ":" + chain + " - [0:0]\n"
                   "-A " + chain + " -p tcp -m tcp --dport 30001 -m comment --comment \"clusterctl port-map web\" "
                   "-j DNAT --to-destination 10.88.0.3:8080\n"
                   "-A " + chain + " -p udp -m udp --dport 30002 -m comment --comment \"clusterctl port-map web\" "
                   "-j DNAT --to-destination 10.88.0.3:53\n"
                   "COMMIT\n");
}

TEST_CASE("hostile names, addresses, ports and protocols never reach iptables-restore") {
    struct Case {
        std::string instance, address;
        PortMap port;
        std::string refusal;
    };
    const Case cases[] = {
        {"web\"\n-A PREROUTING -j ACCEPT", "10.88.0.3", {30001, 80, "tcp"}, "container name"},
        {"x $(reboot)", "10.88.0.3", {30001, 80, "tcp"}, "container name"},
        {"-web", "10.88.0.3", {30001, 80, "tcp"}, "container name"},
        {"", "10.88.0.3", {30001, 80, "tcp"}, "container name"},
        {"web", "10.88.0.3\n-A x", {30001, 80, "tcp"}, "not an IPv4 address"},
        {"web", "fd00::3", {30001, 80, "tcp"}, "not an IPv4 address"},
        {"web", "10.88.0.3", {30001, 80, "sctp"}, "expected tcp or udp"},
        {"web", "10.88.0.3", {30001, 80, "tcp --dport 1"}, "expected tcp or udp"},
        {"web", "10.88.0.3", {0, 80, "tcp"}, "expected 1 to 65535"},
        {"web", "10.88.0.3", {30001, 0, "tcp"}, "expected 1 to 65535"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.instance);
        CAPTURE(c.address);
        auto text = forward_restore_text(c.instance, c.address, {c.port});
        REQUIRE(!text);
        CHECK(contains(text.error().message, c.refusal));
    }
}

TEST_CASE("the sync command passes only the hashed chain to a fixed script, quoted") {
    std::string hostile = "web";
    auto set = forward_set_argv(hostile);
    REQUIRE(set.size() == 6);
    CHECK(set[0] == "sh");
    CHECK(set[1] == "-c");
    CHECK(set[4] == forward_chain_name(hostile));
    CHECK(set[5] == "set");
    CHECK(forward_clear_argv(hostile)[5] == "clear");
    CHECK(forward_clear_argv(hostile)[2] == set[2]);
    CHECK(contains(set[2], "iptables-restore -w 20 --noflush"));
    CHECK(contains(set[2], "--ctstate DNAT -j ACCEPT"));
    CHECK(!contains(set[2], hostile));  // the script never names an instance
}

TEST_CASE("a sync inspects the container and replaces its chain from stdin in one restore") {
    FakeTransport transport;
    transport.hosts["n1"].on("inspect", {exits(0, running_inspect())}).on("iptables-restore", {exits(0)});
    auto connection = transport.open("n1");
    std::vector<ClaimedPort> ports = {{30001, 8080, "tcp", "forward"}, {30000, 80, "tcp", "runtime"}};
    REQUIRE(sync_port_forwards(*connection, RuntimeKind::podman, "web", ports));
    auto calls = transport.calls();
    REQUIRE(calls.size() == 2);
    CHECK(contains(calls[1].command, forward_chain_name("web") + " set"));
    CHECK(contains(calls[1].input, "--dport 30001 "));
    CHECK(contains(calls[1].input, "--to-destination 10.88.0.3:8080"));
    CHECK(!contains(calls[1].input, "30000"));  // the runtime's own -p is not forwarded again
}

TEST_CASE("a sync with no forwarded ports clears the chain without asking the runtime") {
    FakeTransport transport;
    transport.hosts["n1"].on("iptables", {exits(0)});
    auto connection = transport.open("n1");
    REQUIRE(sync_port_forwards(*connection, RuntimeKind::podman, "web", {{30000, 80, "tcp", "runtime"}}));
    auto calls = transport.calls();
    REQUIRE(calls.size() == 1);
    CHECK(contains(calls[0].command, forward_chain_name("web") + " clear"));
}

TEST_CASE("a sync to a stopped container is refused before any rule changes") {
    FakeTransport transport;
    std::string stopped = running_inspect();
    auto at = stopped.find("\"running\"");
    REQUIRE(at != std::string::npos);
    stopped.replace(at, 9, "\"exited\"");
    transport.hosts["n1"].on("inspect", {exits(0, stopped)}).on("iptables", {exits(0)});
    auto connection = transport.open("n1");
    auto synced = sync_port_forwards(*connection, RuntimeKind::podman, "web", {{30001, 80, "tcp", "forward"}});
    REQUIRE(!synced);
    CHECK(contains(synced.error().message, "not running"));
    CHECK(transport.calls().size() == 1);
}

TEST_CASE("a failing iptables-restore is reported with its own words") {
    FakeTransport transport;
    transport.hosts["n1"]
        .on("inspect", {exits(0, running_inspect())})
        .on("iptables-restore", {exits(1, "", "iptables-restore: line 3 failed\n")});
    auto connection = transport.open("n1");
    auto synced = sync_port_forwards(*connection, RuntimeKind::podman, "web", {{30001, 80, "tcp", "forward"}});
    REQUIRE(!synced);
    CHECK(contains(synced.error().message, "line 3 failed"));
}

TEST_CASE("claim_ports records 'forward' and create's ports stay 'runtime'") {
    TempDir dir;
    auto inv = Inventory::open(dir.file("inv.db"));
    REQUIRE(inv);
    REQUIRE(inv->nodes().add(sample_node("n1")));
    ClaimRequest r;
    r.instance = "web";
    r.node = "n1";
    r.image = "busybox";
    r.ports = {{.container_port = 80}};
    r.port_range = {30000, 30009};
    REQUIRE(inv->claims().claim(r));
    auto added = inv->claims().claim_ports("web", {{.container_port = 8080}}, {{30001, "tcp"}}, r.port_range);
    REQUIRE(added);
    CHECK(*added == std::vector<ClaimedPort>{{30002, 8080, "tcp", "forward"}});
    auto held = inv->claims().ports_of("web");
    REQUIRE(held);
    CHECK(*held == std::vector<ClaimedPort>{{30000, 80, "tcp", "runtime"}, {30002, 8080, "tcp", "forward"}});
    auto all = inv->claims().all_ports();
    REQUIRE(all);
    REQUIRE(all->size() == 2);
    CHECK((*all)[1].instance == "web");
    CHECK((*all)[1].node == "n1");
    CHECK((*all)[1].port.via == "forward");
}

TEST_CASE("a version 3 inventory is migrated to version 4: its ports are the runtime's") {
    TempDir dir;
    std::string path = dir.file("inv.db");
    {
        auto db = sql::Database::open(path, true);
        REQUIRE(db);
        REQUIRE(migrate_inventory(*db, 3));
        REQUIRE(db->exec("INSERT INTO nodes (name, host, port, user, host_key_type, host_key, host_key_fingerprint) "
                         "VALUES ('n1', '10.0.0.7', 22, 'root', 'ssh-ed25519', 'AAAA', 'SHA256:old');"
                         "INSERT INTO instances (name, node, image) VALUES ('web', 'n1', 'busybox');"
                         "INSERT INTO instance_ports (instance, node, host_port, container_port, proto) "
                         "VALUES ('web', 'n1', 30000, 80, 'tcp')"));
    }
    auto inv = Inventory::open(path);
    REQUIRE(inv);
    auto held = inv->claims().ports_of("web");
    REQUIRE(held);
    CHECK(*held == std::vector<ClaimedPort>{{30000, 80, "tcp", "runtime"}});
    auto db = sql::Database::open(path, false);
    REQUIRE(db);
    CHECK(!db->exec("UPDATE instance_ports SET via = 'magic'"));  // the CHECK holds
}

TEST_CASE("a sync to a container without an address of its own (host network) is refused") {
    FakeTransport transport;
    std::string host_network = running_inspect();
    for (auto at = host_network.find("\"10.88.0.3\""); at != std::string::npos; at = host_network.find("\"10.88.0.3\""))
        host_network.replace(at, 11, "\"\"");
    transport.hosts["n1"].on("inspect", {exits(0, host_network)}).on("iptables", {exits(0)});
    auto connection = transport.open("n1");
    auto synced = sync_port_forwards(*connection, RuntimeKind::podman, "web", {{30001, 80, "tcp", "forward"}});
    REQUIRE(!synced);
    CHECK(contains(synced.error().message, "no address of its own"));
    CHECK(transport.calls().size() == 1);
}
