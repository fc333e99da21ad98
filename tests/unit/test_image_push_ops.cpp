// `image push` as a use case, against scripted nodes: what each node is told to
// run, which platform it gets, and how one node's failure stays its own.
#include <doctest/doctest.h>

#include "config/config.hpp"
#include "fake_transport.hpp"
#include "ops/image_push.hpp"
#include "ops/node_ops.hpp"
#include "temp_dir.hpp"

using namespace cc;

namespace {

// An image per platform, counting how often each is asked for.
class CountingSource final : public ImageSource {
public:
    std::map<std::string, int> asked;
    Result<ImageBundle> for_platform(const Platform& platform) override {
        ++asked[platform.to_string()];
        ImageBundle b;
        b.name = "team/app:1";
        b.manifest = {std::string(media::oci_manifest), "sha256:" + std::string(64, platform.architecture[1]), "{}"};
        b.parsed.layers = {{std::string(media::oci_layer), "sha256:" + std::string(64, 'a'), 1, std::nullopt},
                           {std::string(media::oci_layer), "sha256:" + std::string(64, 'b'), 1, std::nullopt}};
        return b;
    }
    std::string default_name() const override { return "team/app:1"; }
    std::string describe() const override { return "test source"; }
};

struct Fixture {
    TempDir dir;
    Inventory inventory = std::move(*Inventory::open(dir.file("inv.db")));
    FakeTransport transport;
    OpsContext ctx{inventory, transport, Settings{}};
    BlobCache cache = BlobCache::open(dir.path / "blobs").value();
    CountingSource source;

    Fixture() {
        for (int i = 1; i <= 3; ++i) {
            std::string name = "n" + std::to_string(i), host = "10.0.0." + std::to_string(i);
            transport.hosts[host].always(facts_answer(name));
            NodeAddRequest r;
            r.name = name;
            r.host = host;
            r.accept_new_host_key = true;
            REQUIRE(node_add(ctx, r));
            transport.hosts[host].forward_port = 40000 + i;
            transport.hosts[host].always(exits(0));
        }
        transport.forget_records();
    }
    std::vector<std::string> commands_on(const std::string& host) const {
        std::vector<std::string> out;
        for (const auto& c : transport.calls())
            if (c.host == host) out.push_back(c.command);
        return out;
    }
};

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("each node pulls the final name from its own forwarded port, in one command") {
    Fixture f;
    Facts docker;
    docker.arch = "x86_64";
    docker.runtime = "docker";
    REQUIRE(f.inventory.nodes().update_facts({{"n3", docker}}));
    ImagePushRequest request;
    request.nodeset = "n[1-3]";
    auto results = push_image(f.ctx, f.source, f.cache, request);
    REQUIRE(results);
    REQUIRE(results->size() == 3);
    for (const auto& r : *results) CHECK_MESSAGE(r.status == NodeStatus::ok, r.error);
    auto commands = f.commands_on("10.0.0.2");
    REQUIRE(commands.size() == 1);
    CHECK(has(commands[0], "podman pull --quiet -- localhost/team/app:1"));
    CHECK(has(commands[0], "location = \"127.0.0.1:40002/clusterctl-push/"));
    CHECK_FALSE(has(commands[0], " tag "));
    // docker has no registries.conf: pull the served name, tag, drop it, still one command.
    commands = f.commands_on("10.0.0.3");
    REQUIRE(commands.size() == 1);
    CHECK(has(commands[0], "docker pull --quiet -- 127.0.0.1:40003/clusterctl-push/"));
    CHECK(has(commands[0], "docker tag -- 127.0.0.1:40003/clusterctl-push/"));
    CHECK(has(commands[0], "docker rmi -- 127.0.0.1:40003/clusterctl-push/"));
    // Two connections to every node: one forwards, one runs the runtime.
    CHECK(f.transport.forwards().size() == 3);
    CHECK(f.transport.connects().size() == 6);
}

TEST_CASE("an image name that the node's registries.conf or argv could not hold is refused before any node") {
    Fixture f;
    ImagePushRequest request;
    request.nodeset = "n[1-3]";
    request.name = "team/app\"x:1";
    auto results = push_image(f.ctx, f.source, f.cache, request);
    REQUIRE_FALSE(results);
    CHECK(results.error().message == "invalid image name \"team/app\"x\"");
    CHECK(f.transport.connects().empty());
}

TEST_CASE("every platform's image is resolved once whatever the number of nodes, and each node gets its own") {
    Fixture f;
    Facts arm;
    arm.arch = "aarch64";
    arm.runtime = "podman";
    REQUIRE(f.inventory.nodes().update_facts({{"n3", arm}}));
    ImagePushRequest request;
    request.nodeset = "n[1-3]";
    auto results = push_image(f.ctx, f.source, f.cache, request);
    REQUIRE(results);
    CHECK(f.source.asked == std::map<std::string, int>{{"linux/amd64", 1}, {"linux/arm64/v8", 1}});
    CHECK((*results)[0].value.platform == "linux/amd64");
    CHECK((*results)[2].value.platform == "linux/arm64/v8");
    CHECK((*results)[2].value.digest == "sha256:" + std::string(64, 'r'));
}

TEST_CASE("a node whose pull fails fails alone, with the runtime's message") {
    Fixture f;
    f.transport.hosts["10.0.0.1"].on("pull", {exits(125, "", "Trying to pull…\nError: writing blob: no space left on device\n")});
    ImagePushRequest request;
    request.nodeset = "n[1-3]";
    auto results = push_image(f.ctx, f.source, f.cache, request);
    REQUIRE(results);
    CHECK((*results)[0].status == NodeStatus::failed);
    CHECK((*results)[0].value.detail == "Error: writing blob: no space left on device");
    CHECK((*results)[1].status == NodeStatus::ok);
    CHECK((*results)[2].status == NodeStatus::ok);
    CHECK(f.commands_on("10.0.0.1").size() == 1);
}

TEST_CASE("a node that refuses to forward a port fails alone and is told to pull nothing") {
    Fixture f;
    f.transport.hosts["10.0.0.3"].forward_port = 0;
    ImagePushRequest request;
    request.nodeset = "n[1-3]";
    auto results = push_image(f.ctx, f.source, f.cache, request);
    REQUIRE(results);
    CHECK((*results)[2].status == NodeStatus::failed);
    CHECK(has((*results)[2].error, "no port forwarding"));
    CHECK(f.commands_on("10.0.0.3").empty());
    CHECK((*results)[0].status == NodeStatus::ok);
}

TEST_CASE("--platform parses OS/ARCH[/VARIANT] and refuses anything else") {
    auto p = parse_platform("linux/arm64/v8");
    REQUIRE(p);
    CHECK(p->to_string() == "linux/arm64/v8");
    CHECK_FALSE(parse_platform("arm64"));
    CHECK_FALSE(parse_platform("linux/"));
    CHECK_FALSE(parse_platform("linux/amd64;rm"));
}
