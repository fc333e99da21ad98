#include <doctest/doctest.h>
#include <sys/stat.h>

#include <chrono>

#include <fmt/format.h>

#include "inventory/inventory.hpp"
#include "inventory/sqlite.hpp"
#include "sample_node.hpp"
#include "temp_dir.hpp"

using namespace cc;

namespace {

Node sample(const std::string& name) {
    Node n = sample_node(name);
    n.host_key.fingerprint = "SHA256:x";
    n.labels = {{"rack", "a1"}};
    n.groups = {"gpu"};
    Facts f;
    f.hostname = name;
    f.gathered_at = "2026-01-01T00:00:00Z";
    n.facts = f;
    return n;
}

}  // namespace

TEST_CASE("a new inventory at the default location is created private, in a private directory") {
    TempDir dir;
    std::string path = dir.file("deep/er/inventory.db");
    auto inv = Inventory::open(path, true);
    REQUIRE(inv);
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    REQUIRE(::stat(dir.file("deep/er").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
}

TEST_CASE("an explicit inventory in a missing directory is refused and nothing is created") {
    TempDir dir;
    std::string path = dir.file("nonexistent/dir/x.db");
    auto inv = Inventory::open(path);
    REQUIRE_FALSE(inv);
    CHECK(inv.error().message.find("no such directory \"" + dir.file("nonexistent/dir") + "\"") != std::string::npos);
    struct stat st {};
    CHECK(::stat(dir.file("nonexistent").c_str(), &st) != 0);
}

TEST_CASE("an existing inventory readable by others is made private when opened") {
    TempDir dir;
    std::string path = dir.file("inv.db");
    REQUIRE(Inventory::open(path));
    REQUIRE(::chmod(path.c_str(), 0644) == 0);
    REQUIRE(Inventory::open(path));
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("opening a current inventory does not wait for another process's write lock") {
    TempDir dir;
    std::string path = dir.file("inv.db");
    REQUIRE(Inventory::open(path));
    auto writer = sql::Database::open(path, false);
    REQUIRE(writer);
    auto held = sql::Transaction::begin(*writer);  // BEGIN IMMEDIATE: the RESERVED lock every change takes
    REQUIRE(held);
    auto start = std::chrono::steady_clock::now();
    auto reader = Inventory::open(path);
    REQUIRE(reader);
    CHECK(reader->nodes().list());
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
}

TEST_CASE("a node with labels, groups and facts round trips") {
    TempDir dir;
    auto inv = Inventory::open(dir.file("inv.db"));
    REQUIRE(inv);
    REQUIRE(inv->nodes().add(sample("n1")));
    auto n = inv->nodes().get("n1");
    REQUIRE(n);
    CHECK(n->labels.at("rack") == "a1");
    CHECK(n->groups == std::vector<std::string>{"gpu"});
    REQUIRE(n->facts);
    CHECK(n->facts->hostname == "n1");
    CHECK(*inv->nodes().group_members("gpu") == std::vector<std::string>{"n1"});
    CHECK(inv->nodes().group_members("none").error().kind == ErrorKind::not_found);
}

TEST_CASE("adding a node twice is a conflict and leaves the first intact") {
    TempDir dir;
    auto inv = Inventory::open(dir.file("inv.db"));
    REQUIRE(inv->nodes().add(sample("n1")));
    Node again = sample("n1");
    again.host = "10.9.9.9";
    auto r = inv->nodes().add(again);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::conflict);
    CHECK(inv->nodes().get("n1")->host == "10.0.0.1");
}

TEST_CASE("removing several nodes is all or nothing") {
    TempDir dir;
    auto inv = Inventory::open(dir.file("inv.db"));
    REQUIRE(inv->nodes().add(sample("n1")));
    REQUIRE(inv->nodes().add(sample("n2")));
    auto r = inv->nodes().remove({"n1", "missing"}, false);
    REQUIRE_FALSE(r);
    CHECK(inv->nodes().names()->size() == 2);
    REQUIRE(inv->nodes().remove({"n1", "n2"}, false));
    CHECK(inv->nodes().names()->empty());
}

TEST_CASE("labels are set and removed in one transaction across nodes") {
    TempDir dir;
    auto inv = Inventory::open(dir.file("inv.db"));
    REQUIRE(inv->nodes().add(sample("n1")));
    REQUIRE(inv->nodes().add(sample("n2")));
    LabelChange change;
    change.set = {{"gpu", "h100"}};
    change.remove = {"rack"};
    REQUIRE(inv->nodes().update_labels({"n1", "n2"}, change));
    CHECK(inv->nodes().get("n2")->labels == std::map<std::string, std::string>{{"gpu", "h100"}});
}

TEST_CASE("a second process sees the same inventory and reopening does not migrate again") {
    TempDir dir;
    {
        auto inv = Inventory::open(dir.file("inv.db"));
        REQUIRE(inv->nodes().add(sample("n1")));
    }
    auto again = Inventory::open(dir.file("inv.db"));
    REQUIRE(again);
    CHECK(again->nodes().names()->size() == 1);
}

TEST_CASE("garbage instead of a database is a clear inventory error") {
    TempDir dir;
    std::string path = dir.write("inv.db", std::string(4096, 'x'));
    auto inv = Inventory::open(path);
    REQUIRE_FALSE(inv);
    CHECK(inv.error().kind == ErrorKind::inventory);
    CHECK(inv.error().message.find(path) != std::string::npos);
}

TEST_CASE("an unwritable inventory location names the directory") {
    auto inv = Inventory::open("/proc/clusterctl-no/inv.db");
    REQUIRE_FALSE(inv);
    CHECK(inv.error().message.find("/proc/clusterctl-no") != std::string::npos);
}

TEST_CASE("listing nodes costs the same few queries for 2 nodes as for 60, and each node gets its own details") {
    TempDir dir;
    auto inv = Inventory::open(dir.file("inv.db"));
    REQUIRE(inv);
    auto add = [&](int from, int to) {
        for (int i = from; i < to; ++i) {
            Node n = sample(fmt::format("n{:02}", i));
            n.labels = {{"idx", std::to_string(i)}};
            n.groups = {"all-gpu", fmt::format("g{}", i)};
            if (i % 2) n.facts.reset();
            REQUIRE(inv->nodes().add(n));
        }
    };
    auto queries_to_list = [&] {
        auto before = inv->statements_prepared();
        auto nodes = inv->nodes().list();
        REQUIRE(nodes);
        return std::pair{inv->statements_prepared() - before, std::move(*nodes)};
    };
    add(0, 2);
    auto [few, two] = queries_to_list();
    add(2, 60);
    auto [same, sixty] = queries_to_list();
    CHECK(few == same);
    CHECK(same <= 4);
    REQUIRE(sixty.size() == 60);
    const Node& n37 = sixty[37];
    CHECK(n37.name == "n37");
    CHECK(n37.labels == std::map<std::string, std::string>{{"idx", "37"}});
    CHECK(n37.groups == std::vector<std::string>{"all-gpu", "g37"});
    CHECK_FALSE(n37.facts);
    REQUIRE(sixty[38].facts);
    CHECK(sixty[38].facts->hostname == "n38");
    CHECK(two[1].groups == std::vector<std::string>{"all-gpu", "g1"});
}
