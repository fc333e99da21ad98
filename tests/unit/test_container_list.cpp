#include <doctest/doctest.h>

#include "runtime/container.hpp"
#include "runtime/container_list.hpp"
#include "temp_dir.hpp"

using namespace cc;
using Argv = std::vector<std::string>;

namespace {

std::string fixture(const std::string& name) {
    std::string text = slurp(std::string(CLUSTERCTL_FIXTURES_DIR) + "/runtime/" + name);
    REQUIRE(!text.empty());
    return text;
}

std::string podman_entry(const std::string& fields) {
    return R"({"Id":"a44590e112d3f344da00fbdc4a84a2fadcb9a3b1b92e74ef463fa446d7d46d57","Names":["web1"],)"
           R"("Labels":{"clusterctl.instance":"web1","clusterctl.owner":"alice"},"State":"running","StartedAt":1796084676)" +
           fields + "}";
}

}  // namespace

TEST_SUITE_BEGIN("container list");

TEST_CASE("the listing asks each runtime for clusterctl's containers only, all states, full ids") {
    CHECK(container_list_argv(RuntimeKind::podman) ==
          Argv{"podman", "ps", "-a", "--filter", "label=clusterctl.instance", "--format", "json"});
    Argv docker = container_list_argv(RuntimeKind::docker);
    REQUIRE(docker.size() == 8);
    CHECK(Argv(docker.begin(), docker.begin() + 6) == Argv{"docker", "ps", "-a", "--no-trunc", "--filter", "label=clusterctl.instance"});
    CHECK(docker[7].find(R"({{json (.Label "clusterctl.owner")}})") != std::string::npos);
}

TEST_CASE("podman's listing gives each container's name, labels, state and start time, a never-started one without one") {
    auto rows = parse_container_list(RuntimeKind::podman, fixture("podman-4.3-ps-clusterctl.json")).value();
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].id == "a44590e112d3f344da00fbdc4a84a2fadcb9a3b1b92e74ef463fa446d7d46d57");
    CHECK(rows[0].name == "web1");
    CHECK(rows[0].instance == "web1");
    CHECK(rows[0].owner == "alice");
    CHECK(rows[0].state == "running");
    CHECK(rows[0].started_at == 1796084676);
    CHECK(rows[1].state == "exited");
    CHECK(rows[1].owner == "bob \"q\" \\ \xc3\xa9");
    CHECK(rows[2].state == "created");
    CHECK_FALSE(rows[2].started_at.has_value());
    CHECK(parse_container_list(RuntimeKind::podman, "[]\n").value().empty());
}

TEST_CASE("docker's lines give each container's first name, labels and state; a comma in a label survives") {
    auto rows = parse_container_list(RuntimeKind::docker, fixture("docker-ps-clusterctl.jsonl")).value();
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].name == "web1");
    CHECK(rows[0].state == "running");
    CHECK_FALSE(rows[0].started_at.has_value());
    CHECK(rows[1].name == "done2");
    CHECK(rows[1].owner == "bob \"q\" \\ \xc3\xa9, and <comma>");
    CHECK(rows[2].owner.empty());
    CHECK(parse_container_list(RuntimeKind::docker, "").value().empty());
}

TEST_CASE("a listing that is not what the runtime writes is an error, not a crash or a partial list") {
    struct Row {
        const char* what;
        RuntimeKind kind;
        std::string output;
    };
    const std::string long_name(kMaxContainerFieldBytes + 1, 'n');
    const Row rows[] = {
        {"not JSON", RuntimeKind::podman, "Error: something\n"},
        {"an object, not an array", RuntimeKind::podman, "{}"},
        {"truncated", RuntimeKind::podman, "[" + podman_entry("")},
        {"short id", RuntimeKind::podman, R"([{"Id":"abc","Names":["x"],"Labels":{},"State":"running"}])"},
        {"no names", RuntimeKind::podman, R"([{"Id":")" + std::string(64, 'a') + R"(","Names":[],"Labels":{},"State":"running"}])"},
        {"labels not an object", RuntimeKind::podman, "[" + podman_entry(R"(,"Labels":"x=y")") + "]"},
        {"state with an escape", RuntimeKind::podman, "[" + podman_entry(R"(,"State":"run\u001b[2J")") + "]"},
        {"start time as text", RuntimeKind::podman, "[" + podman_entry(R"(,"StartedAt":"yesterday")") + "]"},
        {"an over-long name", RuntimeKind::podman,
         R"([{"Id":")" + std::string(64, 'a') + R"(","Names":[")" + long_name + R"("],"Labels":{},"State":"running"}])"},
        {"an owner label that is a number", RuntimeKind::podman,
         R"([{"Id":")" + std::string(64, 'a') + R"(","Names":["x"],"Labels":{"clusterctl.owner":7},"State":"running"}])"},
        {"docker line not JSON", RuntimeKind::docker, "{\"id\":\n"},
        {"docker id upper case", RuntimeKind::docker, R"({"id":")" + std::string(64, 'A') + R"(","names":"x","state":"running"})" "\n"},
        {"docker without a name", RuntimeKind::docker, R"({"id":")" + std::string(64, 'a') + R"(","names":"","state":"running"})" "\n"},
        {"docker state missing", RuntimeKind::docker, R"({"id":")" + std::string(64, 'a') + R"(","names":"x"})" "\n"},
    };
    for (const auto& row : rows) {
        CAPTURE(row.what);
        auto parsed = parse_container_list(row.kind, row.output);
        REQUIRE_FALSE(parsed.has_value());
        CHECK(parsed.error().kind == ErrorKind::remote);
        CHECK(parsed.error().message.starts_with("container listing: "));
    }
}

TEST_CASE("a listing past its byte or row bound is refused") {
    std::string huge = "[" + std::string(kMaxContainerListBytes, ' ') + "]";
    CHECK(parse_container_list(RuntimeKind::podman, huge).error().message.find("more than") != std::string::npos);
    std::string many = "[";
    for (std::size_t i = 0; i <= kMaxListedContainers; ++i) many += (i ? "," : "") + podman_entry("");
    many += "]";
    auto parsed = parse_container_list(RuntimeKind::podman, many);
    REQUIRE_FALSE(parsed.has_value());
    CHECK(parsed.error().message.find("more than 10000 containers") != std::string::npos);
}

TEST_CASE("inspect gives a running container's state, start time and address, and a created one's without them") {
    auto running = parse_container_inspect(fixture("podman-4.3-inspect-running.json")).value();
    CHECK(running.id == "a44590e112d3f344da00fbdc4a84a2fadcb9a3b1b92e74ef463fa446d7d46d57");
    CHECK(running.status == "running");
    CHECK(running.started_at == "2026-12-01T00:24:36.457518462Z");
    CHECK(running.ip_address == "10.88.0.3");
    auto created = parse_container_inspect(fixture("podman-4.3-inspect-created.json")).value();
    CHECK(created.status == "created");
    CHECK(created.started_at.empty());
    CHECK(created.ip_address.empty());
}

TEST_CASE("an inspect answer that is not one container is an error") {
    const std::string id(64, 'a');
    for (std::string bad : {std::string("[]"), std::string("Error: no such container web1"), std::string("[{},{}]"),
                            R"([{"Id":")" + id + R"("}])",
                            R"([{"Id":")" + id + R"(","State":{"Status":"running"},"NetworkSettings":{"Networks":{"n":{"IPAddress":"1.2.3.4; id"}}}}])",
                            R"([{"Id":")" + id + R"(","State":{"Status":1}}])"}) {
        CAPTURE(bad);
        auto parsed = parse_container_inspect(bad);
        REQUIRE_FALSE(parsed.has_value());
        CHECK(parsed.error().kind == ErrorKind::remote);
    }
}
