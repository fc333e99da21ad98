#include <doctest/doctest.h>

#include <string>

#include "ops/instance.hpp"
#include "ops/listening_ports.hpp"

using namespace cc;

namespace {

InstanceCreateRequest request() {
    InstanceCreateRequest r;
    r.name = "web";
    r.image = "localhost/busybox:latest";
    return r;
}

std::string refusal(const InstanceCreateRequest& r) {
    auto parsed = parse_create_request(r);
    REQUIRE_MESSAGE(!parsed, "unexpectedly accepted");
    CHECK(parsed.error().kind == ErrorKind::invalid_input);
    return parsed.error().message;
}

}  // namespace

TEST_CASE("-p takes [HOST:]PORT[/udp], and a bad one is named") {
    struct Row {
        const char* text;
        int container;
        std::optional<int> host;
        const char* proto;
    };
    for (const Row& row : {Row{"8888", 8888, std::nullopt, "tcp"}, Row{"30001:8888", 8888, 30001, "tcp"},
                           Row{"53/udp", 53, std::nullopt, "udp"}, Row{"30053:53/udp", 53, 30053, "udp"},
                           Row{"1:65535/tcp", 65535, 1, "tcp"}}) {
        CAPTURE(row.text);
        auto ask = parse_port_ask(row.text);
        REQUIRE(ask);
        CHECK(ask->container_port == row.container);
        CHECK(ask->host_port == row.host);
        CHECK(ask->proto == row.proto);
    }
    for (const char* bad : {"", "0", "65536", "80/sctp", "a:80", "80:", ":80", "-1", "80/", "8080 ", "1e3"}) {
        CAPTURE(bad);
        auto ask = parse_port_ask(bad);
        REQUIRE_FALSE(ask);
        CHECK(ask.error().message.find(std::string("\"") + bad + "\"") != std::string::npos);
    }
}

TEST_CASE("a create request's texts are checked before anything is claimed") {
    auto r = request();
    r.gpus = "2";
    r.cpus = "1.5";
    r.memory = "64G";
    r.ports = {"8888", "30053:53/udp"};
    r.env = {"A=1", "B=x=y", "C="};
    r.volumes = {"/data:/data:ro"};
    r.labels = {"team=ml"};
    r.ttl = "2h";
    auto p = parse_create_request(r);
    REQUIRE(p);
    CHECK(p->gpu_count == 2);
    CHECK(p->gpu_uuids.empty());
    CHECK(p->cpus_milli == 1500);
    CHECK(p->memory_bytes == (std::int64_t{64} << 30));
    CHECK(p->ports.size() == 2);
    REQUIRE(p->env.size() == 3);
    CHECK(p->env[1].key == "B");
    CHECK(p->env[1].value == "x=y");
    CHECK(p->env[2].value == "");
    CHECK(p->volumes.at(0).read_only);
    CHECK(p->labels.at("team") == "ml");
    CHECK(p->ttl == std::chrono::hours(2));

    r = request();
    r.gpus = "GPU-0a1b,GPU-2c3d";
    p = parse_create_request(r);
    REQUIRE(p);
    CHECK(p->gpu_uuids == std::vector<std::string>{"GPU-0a1b", "GPU-2c3d"});
}

TEST_CASE("bad create values are refused naming the value") {
    struct Row {
        void (*edit)(InstanceCreateRequest&);
        const char* named;
    };
    for (const Row& row : {
             Row{[](InstanceCreateRequest& r) { r.name = "a;b"; }, "a;b"},
             Row{[](InstanceCreateRequest& r) { r.name = "-rm"; }, "-rm"},
             Row{[](InstanceCreateRequest& r) { r.gpus = "GPU-1;rm"; }, "GPU-1;rm"},
             Row{[](InstanceCreateRequest& r) { r.gpus = "99"; }, "99"},
             Row{[](InstanceCreateRequest& r) { r.cpus = "lots"; }, "lots"},
             Row{[](InstanceCreateRequest& r) { r.memory = "64Q"; }, "64Q"},
             Row{[](InstanceCreateRequest& r) { r.ports = {"80/sctp"}; }, "80/sctp"},
             Row{[](InstanceCreateRequest& r) { r.env = {"=value"}; }, "=value"},
             Row{[](InstanceCreateRequest& r) { r.env = {"NOVALUE"}; }, "NOVALUE"},
             Row{[](InstanceCreateRequest& r) { r.labels = {"a=1", "a=2"}; }, "a"},
             Row{[](InstanceCreateRequest& r) { r.volumes = {"relative:/x"}; }, "relative"},
             Row{[](InstanceCreateRequest& r) { r.ttl = "forever"; }, "forever"},
         }) {
        auto r = request();
        row.edit(r);
        auto message = refusal(r);
        CAPTURE(message);
        CHECK(message.find(row.named) != std::string::npos);
    }
    auto r = request();
    r.image = "";
    CHECK(refusal(r).find("--image") != std::string::npos);
}

TEST_CASE("listening ports come from /proc/net: TCP in LISTEN and bound UDP, v4 and v6, each once") {
    std::string tcp =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 101 1\n"
        "   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 102 1\n"
        "   2: 0B00D20A:0016 0100D20A:C350 01 00000000:00000000 02:00000000 00000000     0        0 103 1\n";
    std::string tcp6 =
        "  sl  local_address                         remote_address                        st tx_queue rx_queue\n"
        "   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000\n";
    std::string udp =
        "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
        "  100: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 104 2\n"
        "  101: 0B00D20A:8001 0100D20A:0035 01 00000000:00000000 00:00000000 00000000     0        0 105 2\n";
    auto ports = parse_listening_ports(tcp + tcp6 + "--clusterctl-udp--\n" + udp);
    REQUIRE(ports);
    // 22 once (v4 and v6), 8080; not the established 22 -> 50000; UDP 53 but not the connected 32769.
    CHECK(*ports == std::vector<HostPort>{{22, "tcp"}, {8080, "tcp"}, {53, "udp"}});

    CHECK_FALSE(parse_listening_ports(tcp));  // cut short: no UDP part
    CHECK_FALSE(parse_listening_ports("--clusterctl-udp--\n   0: 00000000:ZZZZ 00000000:0000 07 x\n"));
    CHECK_FALSE(parse_listening_ports("--clusterctl-udp--\n   0: 00000000\n"));
    CHECK_FALSE(parse_listening_ports(std::string(kMaxProcNetBytes + 1, ' ')));
}
