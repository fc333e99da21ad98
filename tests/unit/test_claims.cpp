#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <set>
#include <sstream>
#include <string>

#include "inventory/inventory.hpp"
#include "sample_node.hpp"
#include "temp_dir.hpp"

using namespace cc;

namespace {

const std::vector<std::string> kFourGpus = {"GPU-a", "GPU-b", "GPU-c", "GPU-d"};

Inventory with_node(const TempDir& dir) {
    auto inv = Inventory::open(dir.file("inv.db"));
    REQUIRE(inv);
    REQUIRE(inv->nodes().add(sample_node("n1")));
    return std::move(*inv);
}

ClaimRequest ask(const std::string& instance, int gpus, std::vector<PortAsk> ports = {}) {
    ClaimRequest r;
    r.instance = instance;
    r.node = "n1";
    r.image = "busybox";
    r.gpu_count = gpus;
    r.node_gpus = kFourGpus;
    r.ports = std::move(ports);
    r.port_range = {30000, 30002};
    return r;
}

std::string refusal(Inventory& inv, const ClaimRequest& r) {
    auto claim = inv.claims().claim(r);
    REQUIRE_MESSAGE(!claim, "claimed ", r.instance);
    return claim.error().message;
}

bool mentions(const std::string& message, const std::string& part) { return message.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("a claim picks free GPUs in the node's order and free ports from the range") {
    TempDir dir;
    auto inv = with_node(dir);
    auto first = inv.claims().claim(ask("a", 2, {{.container_port = 8888}, {.container_port = 53, .proto = "udp"}}));
    REQUIRE(first);
    CHECK(first->gpus == std::vector<std::string>{"GPU-a", "GPU-b"});
    CHECK(first->ports == std::vector<ClaimedPort>{{30000, 8888, "tcp"}, {30000, 53, "udp"}});

    auto second = inv.claims().claim(ask("b", 1, {{.container_port = 22}}));
    REQUIRE(second);
    CHECK(second->gpus == std::vector<std::string>{"GPU-c"});
    CHECK(second->ports == std::vector<ClaimedPort>{{30001, 22, "tcp"}});

    auto instances = inv.instances().list();
    REQUIRE(instances);
    REQUIRE(instances->size() == 2);
    CHECK((*instances)[0].state == "creating");
    CHECK((*instances)[0].gpus == 2);
}

TEST_CASE("GPUs running a process and ports listening on the node are skipped") {
    TempDir dir;
    auto inv = with_node(dir);
    auto r = ask("a", 2, {{.container_port = 80}});
    r.busy_gpus = {"GPU-a", "GPU-c"};
    r.listening = {{30000, "tcp"}, {30001, "udp"}};
    auto claim = inv.claims().claim(r);
    REQUIRE(claim);
    CHECK(claim->gpus == std::vector<std::string>{"GPU-b", "GPU-d"});
    CHECK(claim->ports == std::vector<ClaimedPort>{{30001, 80, "tcp"}});
}

TEST_CASE("too few free GPUs is refused saying how many are free and why the others are not") {
    TempDir dir;
    auto inv = with_node(dir);
    REQUIRE(inv.claims().claim(ask("a", 3)));
    auto r = ask("b", 2);
    r.busy_gpus = {"GPU-d"};
    auto message = refusal(inv, r);
    CHECK(message == "node \"n1\": no free GPU for 2 asked (0 free of 4: 3 held by instances, 1 running processes)");
    CHECK(inv.instances().count_on("n1").value() == 1);  // nothing of b was recorded
}

TEST_CASE("explicit GPUs must be on the node and free") {
    TempDir dir;
    auto inv = with_node(dir);
    auto r = ask("a", 0);
    r.gpu_uuids = {"GPU-c"};
    auto claim = inv.claims().claim(r);
    REQUIRE(claim);
    CHECK(claim->gpus == std::vector<std::string>{"GPU-c"});
    r.instance = "b";
    CHECK(mentions(refusal(inv, r), "no free GPU \"GPU-c\": held by another instance"));
    r.gpu_uuids = {"GPU-z"};
    CHECK(mentions(refusal(inv, r), "has no GPU \"GPU-z\""));
    r.gpu_uuids = {"GPU-a"};
    r.busy_gpus = {"GPU-a"};
    CHECK(mentions(refusal(inv, r), "a process is running on it"));
}

TEST_CASE("an explicit host port in use is refused, and an exhausted range says so") {
    TempDir dir;
    auto inv = with_node(dir);
    REQUIRE(inv.claims().claim(ask("a", 0, {{.container_port = 80, .host_port = 30001}})));
    CHECK(refusal(inv, ask("b", 0, {{.container_port = 80, .host_port = 30001}})) ==
          "node \"n1\": no free host port 30001/tcp: in use");
    CHECK(refusal(inv, ask("b", 0, {{.container_port = 1}, {.container_port = 2}, {.container_port = 3}})) ==
          "node \"n1\": no free host port in 30000-30002 for 3/tcp");
    auto more = inv.claims().claim_ports("a", {{.container_port = 9}}, {}, {30000, 30002});
    REQUIRE(more);
    CHECK(*more == std::vector<ClaimedPort>{{30000, 9, "tcp"}});
    CHECK(inv.claims().ports_of("a").value() == std::vector<ClaimedPort>{{30000, 9, "tcp"}, {30001, 80, "tcp"}});
}

TEST_CASE("a released host port is picked again; one the instance does not hold is not_found") {
    TempDir dir;
    auto inv = with_node(dir);
    REQUIRE(inv.claims().claim(ask("a", 2, {{.container_port = 80}, {.container_port = 81}})));
    CHECK(inv.claims().gpus_of("a").value() == std::vector<std::string>{"GPU-a", "GPU-b"});
    REQUIRE(inv.claims().release_port("a", 30000, "tcp"));
    auto missing = inv.claims().release_port("a", 30000, "tcp");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().kind == ErrorKind::not_found);
    auto again = inv.claims().claim_ports("a", {{.container_port = 82}}, {}, {30000, 30002});
    REQUIRE(again);
    CHECK(*again == std::vector<ClaimedPort>{{30000, 82, "tcp"}});
}

TEST_CASE("release frees what a failed start held; a created instance is not released") {
    TempDir dir;
    auto inv = with_node(dir);
    REQUIRE(inv.claims().claim(ask("a", 4, {{.container_port = 80}})));
    REQUIRE(inv.claims().release("a"));
    CHECK(inv.claims().held_gpus("n1").value().empty());
    CHECK(inv.claims().ports_on("n1").value().empty());

    REQUIRE(inv.claims().claim(ask("b", 4)));
    REQUIRE(inv.claims().mark_created("b", true));
    CHECK(inv.instances().list().value()[0].storage_enforced);
    auto kept = inv.claims().release("b");
    REQUIRE_FALSE(kept);
    CHECK(kept.error().kind == ErrorKind::conflict);
    CHECK(inv.claims().held_gpus("n1").value().size() == 4);
    CHECK(inv.instances().list().value()[0].state == "created");
}

TEST_CASE("a claim a killed create left behind goes once it is stale; live and created ones stay") {
    TempDir dir;
    auto inv = with_node(dir);
    REQUIRE(inv.claims().claim(ask("killed", 2, {{.container_port = 80}})));
    REQUIRE(inv.claims().claim(ask("fresh", 1)));
    REQUIRE(inv.claims().claim(ask("done", 1)));
    REQUIRE(inv.claims().mark_created("done"));
    {
        auto db = sql::Database::open(dir.file("inv.db"), false);
        REQUIRE(db);
        REQUIRE(db->exec("UPDATE instances SET created_at = '2020-01-01T00:00:00Z' WHERE name IN ('killed', 'done')"));
    }
    auto gone = inv.claims().release_stale(std::chrono::minutes(30));
    REQUIRE(gone);
    CHECK(*gone == 1);
    std::vector<std::string> left;
    auto listed = inv.instances().list();
    REQUIRE(listed);
    for (const auto& i : *listed) left.push_back(i.name);
    CHECK(left == std::vector<std::string>{"done", "fresh"});
    CHECK(inv.claims().held_gpus("n1").value().size() == 2);
    CHECK(inv.claims().ports_on("n1").value().empty());
}

TEST_CASE("a cordoned node, a taken name and an unknown owner are refused") {
    TempDir dir;
    auto inv = with_node(dir);
    REQUIRE(inv.claims().claim(ask("a", 0)));
    CHECK(refusal(inv, ask("a", 0)) == "instance \"a\" exists already");
    auto r = ask("b", 0);
    r.owner = "nobody";
    CHECK(mentions(refusal(inv, r), "no user named \"nobody\""));
    REQUIRE(inv.nodes().set_cordoned({"n1"}, true));
    CHECK(mentions(refusal(inv, ask("c", 0)), "node \"n1\" is cordoned"));
    CHECK_FALSE(inv.nodes().set_cordoned({"n1", "n9"}, false));  // all or nothing
    CHECK(inv.nodes().get("n1").value().cordoned);
}

TEST_CASE("a claim over the owner's quota names the limit and the current use") {
    TempDir dir;
    auto inv = with_node(dir);
    REQUIRE(inv.users().add({.name = "alice", .level = "mid"}));  // mid: 2 GPUs, 24.5 CPUs, 4 instances
    auto r = ask("a", 1);
    r.owner = "alice";
    r.cpus_milli = 20'000;
    r.levels = {{"mid", builtin_level("mid")}};
    REQUIRE(inv.claims().claim(r));

    r.instance = "b";
    r.gpu_count = 2;
    r.cpus_milli = 0;
    CHECK(refusal(inv, r) == "user \"alice\": 2 GPUs asked, 1 of 2 in use (quota gpus=2)");
    r.gpu_count = 0;
    r.cpus_milli = 4'500;
    CHECK(inv.claims().claim(r));  // 20 + 4.5 = 24.5: exactly the limit
    r.instance = "c";
    r.cpus_milli = 1;
    CHECK(refusal(inv, r) == "user \"alice\": 0.001 CPUs asked, 24.5 of 24.5 in use (quota cpus=24.5)");

    // Config's level and the user's own quota are what count, not the built-in defaults.
    r.cpus_milli = 0;
    r.memory_bytes = std::int64_t{1} << 30;
    r.levels["mid"].memory_bytes = std::int64_t{512} << 20;
    CHECK(refusal(inv, r) == "user \"alice\": 1GiB memory asked, 0 of 512MiB in use (quota memory=512MiB)");
    REQUIRE(inv.users().update({.name = "alice", .quota = "memory=2G,instances=2"}));
    CHECK(refusal(inv, r) == "user \"alice\": 1 instance asked, 2 of 2 in use (quota instances=2)");
}

TEST_CASE("the best-fitting node is placed on, and every other one says why not") {
    std::vector<NodeCapacity> nodes = {
        {.node = "gpu01", .free_gpus = 4},
        {.node = "gpu07", .free_gpus = 1},
        {.node = "gpu02", .free_gpus = 2},
        {.node = "gpu03", .cordoned = true, .free_gpus = 8},
        {.node = "cpu01", .has_runtime = false, .free_gpus = 0},
        {.node = "gpu04", .free_gpus = 3, .free_cpus_milli = 1'000},
        {.node = "gpu05", .free_gpus = 3, .free_memory_bytes = 1},
    };
    auto placed = place(nodes, {.gpus = 2, .cpus_milli = 2'000, .memory_bytes = 1024});
    CHECK(placed.node == "gpu02");
    CHECK(placed.reasons == std::vector<std::string>{"gpu07: 1 free GPU, 2 asked", "gpu03: cordoned",
                                                     "cpu01: no container runtime", "gpu04: 1 free CPUs, 2 asked",
                                                     "gpu05: 1 B memory free, 1 KiB asked"});
    auto none = place({{.node = "gpu07", .free_gpus = 1}}, {.gpus = 2});
    CHECK_FALSE(none.node);
    CHECK(none.reasons == std::vector<std::string>{"gpu07: 1 free GPU, 2 asked"});
}

// The race: eight processes, each with its own connection to one inventory file,
// claim at once on one node with 4 GPUs and a tiny port range.
namespace {

enum ChildOutcome { claimed = 0, no_free_gpu = 10, no_free_port = 11, other_error = 12 };

// Forks `n` children that wait on `go`, claim `request` (named per child) and write
// "GPU… PORT" to `out`; returns each child's exit status.
std::vector<int> race(const std::string& path, int n, const ClaimRequest& request, std::string& claims_text,
                      std::string& errors) {
    int go[2], out[2], err[2];
    REQUIRE(::pipe(go) == 0);
    REQUIRE(::pipe(out) == 0);
    REQUIRE(::pipe(err) == 0);
    std::vector<pid_t> children;
    for (int i = 0; i < n; ++i) {
        pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            ::close(go[1]);
            char byte;
            (void)::read(go[0], &byte, 1);  // EOF when the parent closes: all start together
            auto inv = Inventory::open(path);
            int code = other_error;
            std::string line;
            if (inv) {
                ClaimRequest mine = request;
                mine.instance = "i" + std::to_string(i);
                auto claim = inv->claims().claim(mine);
                if (claim) {
                    for (const auto& g : claim->gpus) line += g + " ";
                    for (const auto& p : claim->ports) line += std::to_string(p.host_port) + " ";
                    line += "\n";
                    (void)!::write(out[1], line.data(), line.size());
                    code = claimed;
                } else if (claim.error().message.find("no free GPU") != std::string::npos) {
                    code = no_free_gpu;
                } else if (claim.error().message.find("no free host port") != std::string::npos) {
                    code = no_free_port;
                } else {
                    line = claim.error().message + "\n";
                }
            } else {
                line = inv.error().message + "\n";
            }
            if (code == other_error) (void)!::write(err[1], line.data(), line.size());
            ::_exit(code);
        }
        children.push_back(pid);
    }
    ::close(go[0]);
    ::close(out[1]);
    ::close(err[1]);
    ::close(go[1]);
    std::vector<int> codes;
    for (pid_t pid : children) {
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        codes.push_back(WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    char buffer[4096];
    for (ssize_t got; (got = ::read(out[0], buffer, sizeof buffer)) > 0;) claims_text.append(buffer, std::size_t(got));
    for (ssize_t got; (got = ::read(err[0], buffer, sizeof buffer)) > 0;) errors.append(buffer, std::size_t(got));
    ::close(out[0]);
    ::close(err[0]);
    return codes;
}

std::map<int, int> tally(const std::vector<int>& codes) {
    std::map<int, int> out;
    for (int c : codes) ++out[c];
    return out;
}

}  // namespace

TEST_CASE("eight processes racing for GPUs on one node never hold one twice; the losers hear no free GPU") {
    TempDir dir;
    { auto inv = with_node(dir); }
    std::string claims, errors;
    auto r = ask("", 1, {{.container_port = 80}});
    r.port_range = {30000, 30007};
    auto codes = race(dir.file("inv.db"), 8, r, claims, errors);
    CHECK_MESSAGE(errors.empty(), errors);  // no "database is locked" reached anyone
    CHECK(tally(codes) == std::map<int, int>{{claimed, 4}, {no_free_gpu, 4}});

    std::multiset<std::string> words;
    std::istringstream in(claims);
    for (std::string w; in >> w;) words.insert(w);
    std::set<std::string> distinct(words.begin(), words.end());
    CHECK(words.size() == 8);  // four GPUs and four ports
    CHECK(distinct.size() == words.size());

    auto inv = Inventory::open(dir.file("inv.db"));
    REQUIRE(inv);
    CHECK(inv->claims().held_gpus("n1").value() == kFourGpus);
    CHECK(inv->claims().ports_on("n1").value().size() == 4);
}

TEST_CASE("eight processes racing for a three-port range never hold a port twice; the losers hear no free port") {
    TempDir dir;
    { auto inv = with_node(dir); }
    std::string claims, errors;
    auto codes = race(dir.file("inv.db"), 8, ask("", 0, {{.container_port = 80}}), claims, errors);
    CHECK_MESSAGE(errors.empty(), errors);
    CHECK(tally(codes) == std::map<int, int>{{claimed, 3}, {no_free_port, 5}});
    std::istringstream in(claims);
    std::multiset<std::string> ports;
    for (std::string w; in >> w;) ports.insert(w);
    CHECK(ports == std::multiset<std::string>{"30000", "30001", "30002"});
}
