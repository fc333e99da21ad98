#include <doctest/doctest.h>

#include "config/config.hpp"
#include "fake_transport.hpp"
#include "ops/exec.hpp"
#include "ops/node_ops.hpp"
#include "temp_dir.hpp"

using namespace cc;

namespace {

struct Fixture {
    TempDir dir;
    Inventory inventory = std::move(*Inventory::open(dir.file("inv.db")));
    FakeTransport transport;
    OpsContext ctx{inventory, transport, Settings{}};

    explicit Fixture(std::uint64_t max_output) {
        ctx.settings.exec_max_output = max_output;
        for (const char* name : {"n1", "n2"}) {
            std::string host = name == std::string("n1") ? "10.0.0.1" : "10.0.0.2";
            transport.hosts[host].always(facts_answer(name));
            NodeAddRequest r;
            r.name = name;
            r.host = host;
            r.accept_new_host_key = true;
            REQUIRE(node_add(ctx, r));
        }
    }
};

}  // namespace

TEST_CASE("gathered exec output keeps exec.max_output bytes per stream and flags the node as truncated") {
    Fixture f(1024);
    ExecResult big;
    big.exit_status = 0;
    big.out = std::string(3 << 20, 'o');
    big.err = "short\n";
    f.transport.hosts["10.0.0.1"].always(big);
    ExecResult small = big;
    small.out = std::string(1024, 's');  // exactly the cap: whole, not truncated
    small.err.clear();
    f.transport.hosts["10.0.0.2"].always(small);

    ExecRequest request;
    request.nodeset = "n[1-2]";
    request.argv = {"cat", "big"};
    auto outcomes = exec_on_nodes(f.ctx, request);
    REQUIRE(outcomes);
    REQUIRE(outcomes->size() == 2);
    const auto& first = (*outcomes)[0];
    CHECK(first.status == ExecStatus::ok);
    CHECK(first.out == std::string(1024, 'o'));
    CHECK(first.err == "short\n");
    CHECK(first.truncated);
    CHECK((*outcomes)[1].out == small.out);
    CHECK_FALSE((*outcomes)[1].truncated);
}

TEST_CASE("streamed exec output is not capped: every byte reaches the sink") {
    Fixture f(16);
    ExecResult big;
    big.exit_status = 0;
    big.out = std::string(100'000, 'o');
    f.transport.hosts["10.0.0.1"].always(big);
    ExecRequest request;
    request.nodeset = "n1";
    request.argv = {"true"};
    std::size_t streamed = 0;
    request.on_output = [&](const std::string&, int, std::string_view data) { streamed += data.size(); };
    auto outcomes = exec_on_nodes(f.ctx, request);
    REQUIRE(outcomes);
    CHECK(streamed == 100'000);
    CHECK((*outcomes)[0].out.empty());
    CHECK_FALSE((*outcomes)[0].truncated);
}

TEST_CASE("exec.max_output is a size greater than zero") {
    TempDir dir;
    auto config = load_config(dir.write("c.toml", "[exec]\nmax_output = \"64K\"\n"), {});
    REQUIRE(config);
    CHECK(config->settings.exec_max_output == 65536);
    CHECK(Settings{}.exec_max_output == 1 << 20);
    auto zero = load_config(dir.file("none.toml"), {{"exec.max_output", "0"}});
    REQUIRE_FALSE(zero);
    CHECK(zero.error().message.find("\"0\"") != std::string::npos);
}
