#include <doctest/doctest.h>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "core/base64.hpp"
#include "fanout/exit_code.hpp"
#include "fake_transport.hpp"
#include "ops/image_nodes.hpp"
#include "ops/node_ops.hpp"
#include "temp_dir.hpp"

using namespace cc;

namespace {

std::string fixture(const std::string& name) { return slurp(std::string(CLUSTERCTL_FIXTURES_DIR) + "/runtime/" + name); }

NodeImage named(std::string repository, std::string tag, char id = 'a') {
    return {std::move(repository), std::move(tag), "sha256:" + std::string(64, id), 1};
}

std::vector<std::string> names_of(const std::vector<NodeImage>& images) {
    std::vector<std::string> out;
    for (const auto& i : images) out.push_back(image_name(i));
    return out;
}

struct Fixture {
    TempDir dir;
    Inventory inventory = std::move(*Inventory::open(dir.file("inv.db")));
    FakeTransport transport;
    OpsContext ctx{inventory, transport, Settings{}};

    Fixture() {
        for (const char* name : {"n1", "n2"}) {
            std::string host = name == std::string("n1") ? "10.0.0.1" : "10.0.0.2";
            transport.hosts[host].always(facts_answer(name));
            NodeAddRequest r;
            r.name = name;
            r.host = host;
            r.accept_new_host_key = true;
            REQUIRE(node_add(ctx, r));
        }
        // Both nodes list busybox; n1 also has it as reg.lab:5000/team/bb:1.0.
        transport.hosts["10.0.0.1"].on("podman images", {exits(0, fixture("podman-4.3-images-two-names.json"))});
        transport.hosts["10.0.0.2"].on("podman images", {exits(0, fixture("podman-4.3-images-dangling.json"))});
        transport.forget_records();
    }

    std::vector<std::string> commands_on(const std::string& host) const {
        std::vector<std::string> out;
        for (const auto& c : transport.calls())
            if (c.host == host) out.push_back(c.command);
        return out;
    }
};

}  // namespace

TEST_SUITE_BEGIN("image nodes");

TEST_CASE("a reference names the listed images the way the runtime would resolve it") {
    const std::vector<NodeImage> images = {named("localhost/busybox", "latest", 'a'),
                                           named("docker.io/library/busybox", "1.36", 'b'),
                                           named("reg.lab:5000/team/cuda", "12.4", 'c'),
                                           named("", "", 'd')};
    CHECK(names_of(images_matching(images, "localhost/busybox:latest")) == std::vector<std::string>{"localhost/busybox:latest"});
    CHECK(names_of(images_matching(images, "busybox")) == std::vector<std::string>{"localhost/busybox:latest"});
    CHECK(names_of(images_matching(images, "busybox:1.36")) == std::vector<std::string>{"docker.io/library/busybox:1.36"});
    CHECK(names_of(images_matching(images, "docker.io/busybox:1.36")) ==
          std::vector<std::string>{"docker.io/library/busybox:1.36"});
    CHECK(names_of(images_matching(images, "reg.lab:5000/team/cuda:12.4")) ==
          std::vector<std::string>{"reg.lab:5000/team/cuda:12.4"});
    CHECK(names_of(images_matching(images, "team/cuda:12.4")) == std::vector<std::string>{"reg.lab:5000/team/cuda:12.4"});
    // Another registry, another tag, a substring: not the same image.
    CHECK(images_matching(images, "other.lab/team/cuda:12.4").empty());
    CHECK(images_matching(images, "reg.lab:5000/team/cuda").empty());
    CHECK(images_matching(images, "cud:12.4").empty());
    // An id prefix of 12 or more hex digits names images by id, the dangling one too.
    CHECK(names_of(images_matching(images, std::string(12, 'd'))) == std::vector<std::string>{"sha256:" + std::string(64, 'd')});
    CHECK(images_matching(images, "sha256:" + std::string(12, 'c')).size() == 1);
    CHECK(images_matching(images, "ccc").empty());
}

TEST_CASE("image ls lists each node's own runtime, and a node that cannot be reached is reported, not fatal") {
    Fixture f;
    f.transport.hosts["10.0.0.2"].connect_error = Error{ErrorKind::unreachable, "no route"};
    auto listed = list_node_images(f.ctx, "n[1-2]");
    REQUIRE(listed);
    REQUIRE(listed->size() == 2);
    CHECK(listed->at(0).status == NodeStatus::ok);
    CHECK(listed->at(0).value.runtime == "podman");
    CHECK(names_of(listed->at(0).value.images) ==
          std::vector<std::string>{"localhost/busybox:latest", "reg.lab:5000/team/bb:1.0"});
    CHECK(listed->at(1).status == NodeStatus::unreachable);
    CHECK(f.commands_on("10.0.0.1").at(0).find("podman images --format json") != std::string::npos);
}

TEST_CASE("a node whose runtime refuses the listing fails with the runtime's last error line") {
    Fixture f;
    f.transport.hosts["10.0.0.1"].on("podman images", {exits(125, "", "time=x level=warning\nError: database is locked\n")});
    auto listed = list_node_images(f.ctx, "n1");
    REQUIRE(listed);
    CHECK(listed->at(0).status == NodeStatus::failed);
    CHECK(listed->at(0).error.find("podman images: Error: database is locked") != std::string::npos);
}

TEST_CASE("image rm plans per node, then removes only the planned names on the nodes that have them") {
    Fixture f;
    f.transport.hosts["10.0.0.1"].on("podman rmi", {exits(0, "Untagged: reg.lab:5000/team/bb:1.0\n")});
    auto plan = plan_image_removal(f.ctx, "reg.lab:5000/team/bb:1.0", "n[1-2]");
    REQUIRE(plan);
    CHECK(names_of(plan->at(0).value.images) == std::vector<std::string>{"reg.lab:5000/team/bb:1.0"});
    CHECK(plan->at(1).value.images.empty());
    for (const auto& c : f.transport.commands()) CHECK(c.find("rmi") == std::string::npos);  // planning removes nothing

    auto done = remove_planned_images(f.ctx, std::move(*plan));
    REQUIRE(done.size() == 2);
    CHECK(done[0].status == NodeStatus::ok);
    CHECK(done[0].value.removed);
    CHECK(done[1].status == NodeStatus::ok);
    CHECK_FALSE(done[1].value.removed);
    auto on_n1 = f.commands_on("10.0.0.1");
    CHECK(std::count_if(on_n1.begin(), on_n1.end(), [](const std::string& c) {
              return c.find("podman rmi -- reg.lab:5000/team/bb:1.0") != std::string::npos;
          }) == 1);
    auto on_n2 = f.commands_on("10.0.0.2");
    CHECK(std::none_of(on_n2.begin(), on_n2.end(), [](const std::string& c) { return c.find("rmi") != std::string::npos; }));
}

TEST_CASE("a refused removal is that node's failure with the runtime's words") {
    Fixture f;
    f.transport.hosts["10.0.0.1"].on("podman rmi", {exits(2, "", "Error: image used by 1 container\n")});
    auto plan = plan_image_removal(f.ctx, "busybox", "n1");
    REQUIRE(plan);
    auto done = remove_planned_images(f.ctx, std::move(*plan));
    CHECK(done[0].status == NodeStatus::failed);
    CHECK(done[0].error.find("image used by 1 container") != std::string::npos);
    CHECK_FALSE(done[0].value.removed);
}

namespace {

// The admin host's login for reg.lab:5000, in a docker config.json (the store's own file absent).
CredentialStore store_with_login(const TempDir& dir) {
    std::string auth = base64_encode("robot$ci:s3cret-pw");
    dir.write("docker-config.json", R"({"auths":{"reg.lab:5000":{"auth":")" + auth + R"("}}})");
    return CredentialStore(dir.path / "no-own-file.json", dir.path / "docker-config.json");
}

}  // namespace

TEST_CASE("image pull hands the login to each node on stdin only, and the command line never holds it") {
    Fixture f;
    for (const char* host : {"10.0.0.1", "10.0.0.2"}) f.transport.hosts[host].on("podman pull", {exits(0, "abc\n")});
    const CredentialStore store = store_with_login(f.dir);
    ImagePullRequest request;
    request.ref = "reg.lab:5000/team/x:1";
    request.nodeset = "n[1-2]";
    request.credentials = &store;
    auto pulled = pull_on_nodes(f.ctx, request);
    REQUIRE(pulled);
    for (const auto& r : *pulled) {
        CHECK(r.status == NodeStatus::ok);
        CHECK(r.value.ref == "reg.lab:5000/team/x:1");
    }
    const std::string secret = base64_encode("robot$ci:s3cret-pw");
    int pulls = 0;
    for (const auto& call : f.transport.calls()) {
        CHECK(call.command.find("s3cret") == std::string::npos);
        CHECK(call.command.find(secret) == std::string::npos);
        if (call.command.find("podman pull --quiet --authfile auth.json -- reg.lab:5000/team/x:1") == std::string::npos)
            continue;
        ++pulls;
        auto auth = nlohmann::json::parse(call.input);
        CHECK(auth["auths"]["reg.lab:5000"]["auth"] == secret);
    }
    CHECK(pulls == 2);
}

TEST_CASE("an anonymous pull sends nothing on stdin and pulls the reference written out in full") {
    Fixture f;
    f.transport.hosts["10.0.0.1"].on("podman pull", {exits(0)});
    ImagePullRequest request;
    request.ref = "busybox";
    request.nodeset = "n1";
    auto pulled = pull_on_nodes(f.ctx, request);
    REQUIRE(pulled);
    CHECK(pulled->at(0).status == NodeStatus::ok);
    CHECK(pulled->at(0).value.ref == "docker.io/library/busybox:latest");
    auto calls = f.transport.calls();
    auto pull = std::find_if(calls.begin(), calls.end(), [](const FakeCall& c) { return c.command.find("podman pull") != std::string::npos; });
    REQUIRE(pull != calls.end());
    CHECK(pull->input.empty());
    CHECK(pull->command.find("--authfile") == std::string::npos);
    CHECK(pull->command.find("docker.io/library/busybox:latest") != std::string::npos);
}

TEST_CASE("a node whose registry refuses the login fails with the registry's answer, the others are done") {
    Fixture f;
    f.transport.hosts["10.0.0.1"].on("podman pull", {exits(0)});
    f.transport.hosts["10.0.0.2"].on("podman pull",
                                     {exits(125, "", "Error: initializing source docker://reg.lab:5000/team/x:1: reading "
                                                     "manifest 1 in reg.lab:5000/team/x: unauthorized: authentication required\n")});
    const CredentialStore store = store_with_login(f.dir);
    ImagePullRequest request;
    request.ref = "reg.lab:5000/team/x:1";
    request.nodeset = "n[1-2]";
    request.credentials = &store;
    auto pulled = pull_on_nodes(f.ctx, request);
    REQUIRE(pulled);
    CHECK(pulled->at(0).status == NodeStatus::ok);
    CHECK(pulled->at(1).status == NodeStatus::failed);
    CHECK(pulled->at(1).error.find("podman pull: Error: initializing source") != std::string::npos);
    CHECK(pulled->at(1).error.find("unauthorized") != std::string::npos);
    CHECK(fanout_exit_code(*pulled) == kExitPartial);
}

TEST_CASE("a reference no registry would take is refused before any node is contacted") {
    Fixture f;
    ImagePullRequest request;
    request.ref = "Team/UPPER:1";
    request.nodeset = "n1";
    CHECK(!pull_on_nodes(f.ctx, request));
    CHECK(f.transport.calls().empty());
}
