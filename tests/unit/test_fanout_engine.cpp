// The per-node engine through the scripted fake: deadlines, Ctrl-C, a dead
// node, every status mix → exit code, and what exec sends.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "core/interrupt.hpp"
#include "core/shell_quote.hpp"
#include "fake_transport.hpp"
#include "fanout/exit_code.hpp"
#include "ops/exec.hpp"
#include "ops/node_ops.hpp"
#include "remote/command.hpp"
#include "temp_dir.hpp"

using namespace cc;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

std::string host_of(int i) { return fmt::format("10.0.0.{}", i); }

long long ms_since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// n1…nN in a real inventory, each answering every command with exit 0.
struct Cluster {
    TempDir dir;
    Inventory inventory = std::move(*Inventory::open(dir.file("inv.db")));
    FakeTransport transport;
    OpsContext ctx{inventory, transport, Settings{}};

    explicit Cluster(int n) {
        for (int i = 1; i <= n; ++i) {
            std::string name = fmt::format("n{}", i);
            transport.hosts[host_of(i)].always(facts_answer(name));
            NodeAddRequest r;
            r.name = name;
            r.host = host_of(i);
            r.accept_new_host_key = true;
            REQUIRE(node_add(ctx, r));
            transport.hosts[host_of(i)].always(exits(0, "hi\n"));
        }
        transport.forget_records();
        ctx.settings.fanout = n;
    }
    FakeHost& host(int i) { return transport.hosts[host_of(i)]; }

    std::vector<NodeResult<ExecOutput>> exec(const OnNodeDone<ExecOutput>& on_done = {}) {
        ExecRequest request;
        request.nodeset = "@all";
        request.argv = {"true"};
        request.on_done = on_done;
        auto results = exec_on_nodes(ctx, request);
        REQUIRE(results);
        return *results;
    }
};

// A simulated Ctrl-C is forgotten when the test case ends, pass or fail.
struct InterruptGuard {
    ~InterruptGuard() { clear_interrupt(); }
};

}  // namespace

TEST_SUITE_BEGIN("fanout engine");

TEST_CASE("a node that times out mid-run ends as timeout at its deadline; the others finish ok") {
    Cluster c(3);
    c.ctx.settings.command_timeout = 300ms;
    c.host(2).always(after(20s, exits(0)));
    auto start = Clock::now();
    auto results = c.exec();
    CHECK(ms_since(start) < 3000);
    REQUIRE(results.size() == 3);
    CHECK(results[0].status == NodeStatus::ok);
    CHECK(results[1].status == NodeStatus::timeout);
    CHECK(results[1].error_kind == ErrorKind::timeout);
    CHECK(results[1].error.find("node \"n2\"") != std::string::npos);
    CHECK(results[1].duration >= 300ms);
    CHECK(results[2].status == NodeStatus::ok);
    CHECK(results[2].value.exit_status == 0);
    CHECK(fanout_exit_code(results) == kExitPartial);
}

TEST_CASE("Ctrl-C mid-run: started nodes end interrupted, unstarted ones are never connected to, exit 130") {
    InterruptGuard guard;
    Cluster c(4);
    c.ctx.settings.fanout = 2;
    c.host(1).always(after(20s, exits(0)));
    // n2 presses Ctrl-C once n1's command is running.
    c.host(2).always(computed([&](const FakeCall&) {
        auto until = Clock::now() + 5s;
        auto n1_running = [&] {
            auto calls = c.transport.calls();
            return std::any_of(calls.begin(), calls.end(), [](const FakeCall& call) { return call.host == host_of(1); });
        };
        while (!n1_running() && Clock::now() < until) std::this_thread::sleep_for(1ms);
        request_interrupt();
        return exits(0).result;
    }));
    auto start = Clock::now();
    auto results = c.exec();
    CHECK(ms_since(start) < 3000);
    REQUIRE(results.size() == 4);
    CHECK(results[0].status == NodeStatus::interrupted);  // cut mid-command
    CHECK(results[1].status == NodeStatus::ok);           // it finished before anyone looked
    CHECK(results[2].status == NodeStatus::interrupted);
    CHECK(results[3].status == NodeStatus::interrupted);
    CHECK(results[3].error == "interrupted before start");  // Ctrl-C is no cause of the node's
    auto connects = c.transport.connects();
    CHECK(std::count(connects.begin(), connects.end(), host_of(3)) == 0);
    CHECK(std::count(connects.begin(), connects.end(), host_of(4)) == 0);
    CHECK(fanout_exit_code(results) == kExitInterrupted);
}

TEST_CASE("Ctrl-C that landed between connecting and the work stops the node before it runs anything") {
    InterruptGuard guard;
    Cluster c(1);
    c.host(1).connect_delay = 50ms;
    std::thread presser([] {
        std::this_thread::sleep_for(10ms);
        request_interrupt();
    });
    // The fake's connect honours Ctrl-C too, so either way nothing runs.
    auto results = c.exec();
    presser.join();
    CHECK(results[0].status == NodeStatus::interrupted);
    CHECK(c.transport.calls().empty());
}

TEST_CASE("one dead node does not hold up the others beyond its connect timeout") {
    Cluster c(4);
    c.ctx.settings.fanout = 2;
    c.ctx.settings.connect_timeout = 400ms;
    c.host(1).connect_delay = 20s;  // accepts TCP, then nothing
    std::mutex mutex;
    std::vector<std::string> done;
    auto start = Clock::now();
    auto results = c.exec([&](const NodeResult<ExecOutput>& r) {
        std::lock_guard lock(mutex);
        done.push_back(r.node);
    });
    CHECK(ms_since(start) < 400 + 1000);
    CHECK(results[0].status == NodeStatus::timeout);
    CHECK(results[0].duration >= 400ms);
    for (int i = 1; i < 4; ++i) {
        CHECK(results[i].status == NodeStatus::ok);
        CHECK(results[i].duration < 400ms);
    }
    REQUIRE(done.size() == 4);
    CHECK(done.back() == "n1");  // the others were done while n1 was still connecting
}

TEST_CASE("results come back in node-set order, one per node, each timed") {
    Cluster c(5);
    c.host(1).always(after(60ms, exits(0)));
    c.host(3).always(exits(2, "", "boom\n"));
    auto results = c.exec();
    REQUIRE(results.size() == 5);
    for (int i = 0; i < 5; ++i) CHECK(results[i].node == fmt::format("n{}", i + 1));
    CHECK(results[0].duration >= 60ms);
    CHECK(results[2].status == NodeStatus::failed);
    CHECK_FALSE(results[2].error_kind);  // it ran: its exit status says how it failed
    CHECK(results[2].value.exit_status == 2);
    CHECK(results[2].value.err == "boom\n");
}

TEST_CASE("exec sends the argv quoted by shell_join, inside the remote deadline wrapper") {
    Cluster c(1);
    c.ctx.settings.command_timeout = 7s;
    ExecRequest request;
    request.nodeset = "n1";
    request.argv = {"printf", "%s|", "a b", "$(echo pwned)", "it's", ";id"};
    REQUIRE(exec_on_nodes(c.ctx, request));
    auto commands = c.transport.commands();
    REQUIRE(commands.size() == 1);
    CHECK(commands[0] == with_remote_deadline(shell_join(request.argv), 7s));
    // A real shell running what the node got prints every argument verbatim.
    FILE* shell = ::popen(("/bin/sh -c " + shell_quote(commands[0])).c_str(), "r");
    REQUIRE(shell);
    char buffer[256] = {};
    std::size_t n = std::fread(buffer, 1, sizeof buffer - 1, shell);
    ::pclose(shell);
    CHECK(std::string(buffer, n) == "a b|$(echo pwned)|it's|;id|");
}

TEST_CASE("every status mix gives the documented exit code") {
    using S = NodeStatus;
    struct Row {
        std::vector<NodeExit> nodes;
        ExitRule rule;
        int code;
    };
    const std::vector<Row> rows = {
        {{}, {}, 0},
        {{{S::ok, 0}}, {}, 0},
        {{{S::ok, 0}, {S::skipped, {}}}, {}, 0},
        {{{S::skipped, {}}}, {}, 0},
        {{{S::ok, 0}, {S::failed, 1}}, {}, 3},
        {{{S::failed, {}}}, {}, 3},
        {{{S::timeout, {}}, {S::ok, 0}}, {}, 3},
        {{{S::unreachable, {}}, {S::ok, 0}}, {}, 3},
        {{{S::ok, 0}, {S::interrupted, {}}, {S::failed, 1}}, {}, 130},
        {{{S::interrupted, {}}}, {.max_rc = true}, 130},
        {{{S::ok, 0}}, {.found_trouble = true}, 3},
        {{{S::ok, 0}, {S::interrupted, {}}}, {.found_trouble = true}, 130},
        {{{S::ok, 0}, {S::failed, 2}, {S::failed, 7}}, {.max_rc = true}, 7},
        {{{S::ok, 0}, {S::timeout, {}}}, {.max_rc = true}, 255},
        {{{S::ok, 0}, {S::ok, 0}}, {.max_rc = true}, 0},
    };
    for (std::size_t i = 0; i < rows.size(); ++i) {
        CAPTURE(i);
        CHECK(fanout_exit_code(std::span<const NodeExit>(rows[i].nodes), rows[i].rule) == rows[i].code);
    }
    // From results: exec's exit status counts for --max-rc, a signal as 255.
    std::vector<NodeResult<ExecOutput>> results(2);
    results[0].status = S::failed;
    results[0].value.exit_status = 4;
    results[1].status = S::failed;
    results[1].value.exit_status = -1;
    results[1].value.exit_signal = "KILL";
    CHECK(fanout_exit_code(results, {.max_rc = true}) == 255);
    results[1].value.exit_signal.clear();
    results[1].value.exit_status = 3;
    CHECK(fanout_exit_code(results, {.max_rc = true}) == 4);
    CHECK(fanout_exit_code(results) == 3);
}

TEST_CASE("error kinds map to one status each, and the status words stay those the JSON documents") {
    struct Row {
        ErrorKind kind;
        NodeStatus status;
        const char* word;
    };
    for (const auto& row : std::vector<Row>{{ErrorKind::timeout, NodeStatus::timeout, "timeout"},
                                            {ErrorKind::unreachable, NodeStatus::unreachable, "unreachable"},
                                            {ErrorKind::auth, NodeStatus::unreachable, "auth"},
                                            {ErrorKind::host_key, NodeStatus::unreachable, "host-key"},
                                            {ErrorKind::interrupted, NodeStatus::interrupted, "interrupted"},
                                            {ErrorKind::remote, NodeStatus::failed, "error"},
                                            {ErrorKind::invalid_input, NodeStatus::failed, "error"},
                                            {ErrorKind::io, NodeStatus::failed, "error"}}) {
        CAPTURE(error_kind_name(row.kind));
        CHECK(node_status_for(row.kind) == row.status);
        CHECK(std::string(node_status_word(row.status, row.kind)) == row.word);
    }
    CHECK(std::string(node_status_word(NodeStatus::ok, std::nullopt)) == "ok");
    CHECK(std::string(node_status_word(NodeStatus::failed, std::nullopt)) == "failed");  // a non-zero exit
    CHECK(std::string(node_status_word(NodeStatus::skipped, std::nullopt)) == "skipped");
}

TEST_SUITE_END();
