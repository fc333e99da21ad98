#include <doctest/doctest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/base64.hpp"
#include "core/shell_quote.hpp"
#include "remote/command.hpp"
#include "runtime/runtime.hpp"
#include "temp_dir.hpp"

using namespace cc;
using Argv = std::vector<std::string>;

namespace {

std::string fixture(const std::string& name) {
    std::string text = slurp(std::string(CLUSTERCTL_FIXTURES_DIR) + "/runtime/" + name);
    REQUIRE(!text.empty());
    return text;
}

const std::string kBusyboxId = "sha256:bbba3a3c344e0dd7a9513f66b4567383898c3463b3540083fb5177e4907415e6";

// A fake runtime on PATH that records where it ran, its argv and the auth file it was given.
struct FakeRuntimeNode {
    TempDir dir;
    FakeRuntimeNode(const std::string& name, const std::string& body) {
        std::filesystem::create_directories(dir.path / "bin");
        std::filesystem::create_directories(dir.path / "tmp");
        std::filesystem::create_directories(dir.path / "log");
        std::string script = dir.write("bin/" + name,
                                       "#!/bin/sh\n"
                                       "L=" + shell_quote(dir.file("log")) + "\n"
                                       "printf '%s\\n' \"$PWD\" > \"$L/cwd\"\n"
                                       "printf '%s\\n' \"$@\" > \"$L/argv\"\n" + body);
        std::filesystem::permissions(script, std::filesystem::perms::owner_all);
    }
    // Runs `line` as a node would (stdin from `input`); returns the exit status.
    int run(const std::string& line, const std::string& input) {
        std::string in = dir.write("stdin", input);
        std::string command = "PATH=" + shell_quote(dir.file("bin")) + ":/usr/bin:/bin TMPDIR=" +
                              shell_quote(dir.file("tmp")) + " sh -c " + shell_quote(line) + " < " + shell_quote(in);
        int status = std::system(command.c_str());
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::string log(const std::string& name) const { return slurp(dir.file("log/" + name)); }
    bool private_dirs_left() const { return !std::filesystem::is_empty(dir.path / "tmp"); }
};

}  // namespace

TEST_SUITE_BEGIN("runtime");

TEST_CASE("the runtime comes from the node's facts, and a node without one is an error") {
    CHECK(runtime_kind("podman").value() == RuntimeKind::podman);
    CHECK(runtime_kind("docker").value() == RuntimeKind::docker);
    CHECK(runtime_kind("").error().kind == ErrorKind::not_found);
    auto odd = runtime_kind("containerd");
    REQUIRE(!odd);
    CHECK(odd.error().message.find("\"containerd\"") != std::string::npos);
    CHECK(std::string(runtime_name(RuntimeKind::docker)) == "docker");
}

TEST_CASE("podman pulls quietly, skips TLS checks only when told, and takes an auth file") {
    Runtime podman(RuntimeKind::podman);
    CHECK(podman.pull_argv("reg.lab:5000/team/cuda:12.4", true, "") ==
          Argv{"podman", "pull", "--quiet", "--", "reg.lab:5000/team/cuda:12.4"});
    CHECK(podman.pull_argv("127.0.0.1:41234/cuda:12.4", false, "auth.json") ==
          Argv{"podman", "pull", "--quiet", "--tls-verify=false", "--authfile", "auth.json", "--",
               "127.0.0.1:41234/cuda:12.4"});
    // A registry that is not on the node's loopback keeps its TLS checks whatever the caller asked.
    CHECK(podman.pull_argv("reg.lab:5000/x:1", false, "") == Argv{"podman", "pull", "--quiet", "--", "reg.lab:5000/x:1"});
    CHECK(podman.pull_argv("127.0.0.1.evil.lab:5000/x:1", false, "") ==
          Argv{"podman", "pull", "--quiet", "--", "127.0.0.1.evil.lab:5000/x:1"});
}

TEST_CASE("docker is given the directory holding config.json, as a global --config") {
    Runtime docker(RuntimeKind::docker);
    CHECK(docker.pull_argv("reg.lab:5000/x:1", true, "") == Argv{"docker", "pull", "--quiet", "--", "reg.lab:5000/x:1"});
    CHECK(docker.pull_argv("reg.lab:5000/x:1", true, "/tmp/tmp.Ab12/config.json") ==
          Argv{"docker", "--config", "/tmp/tmp.Ab12", "pull", "--quiet", "--", "reg.lab:5000/x:1"});
    CHECK(docker.pull_argv("x:1", true, "config.json") == Argv{"docker", "--config", ".", "pull", "--quiet", "--", "x:1"});
    // dockerd treats 127.0.0.0/8 as insecure itself; there is no flag to add.
    CHECK(docker.pull_argv("127.0.0.1:5000/x:1", false, "") == Argv{"docker", "pull", "--quiet", "--", "127.0.0.1:5000/x:1"});
    CHECK(std::string(docker.auth_file_name()) == "config.json");
    CHECK(std::string(Runtime(RuntimeKind::podman).auth_file_name()) == "auth.json");
}

TEST_CASE("tag, rmi and the listing end options before any name, for both runtimes") {
    Runtime podman(RuntimeKind::podman), docker(RuntimeKind::docker);
    CHECK(podman.tag_argv("127.0.0.1:4000/a:1", "a:1") == Argv{"podman", "tag", "--", "127.0.0.1:4000/a:1", "a:1"});
    CHECK(docker.tag_argv("-x", "a:1") == Argv{"docker", "tag", "--", "-x", "a:1"});
    CHECK(podman.remove_argv("a:1", false) == Argv{"podman", "rmi", "--", "a:1"});
    CHECK(docker.remove_argv("a:1", true) == Argv{"docker", "rmi", "--force", "--", "a:1"});
    CHECK(podman.list_argv() == Argv{"podman", "images", "--format", "json"});
    CHECK(docker.list_argv() == Argv{"docker", "images", "--no-trunc", "--format", "{{json .}}"});
}

TEST_CASE("podman 4.3's listing gives one row per name, once per image although podman repeats it") {
    auto images = Runtime(RuntimeKind::podman).parse_list(fixture("podman-4.3-images-two-names.json"));
    REQUIRE(images);
    REQUIRE(images->size() == 2);
    CHECK(images->at(0).repository == "localhost/busybox");
    CHECK(images->at(0).tag == "latest");
    CHECK(images->at(1).repository == "reg.lab:5000/team/bb");  // the port is not the tag
    CHECK(images->at(1).tag == "1.0");
    for (const auto& image : *images) {
        CHECK(image.id == kBusyboxId);
        CHECK(image.size == 2141272u);
    }
}

TEST_CASE("a dangling podman image is listed with an empty repository and tag") {
    auto images = Runtime(RuntimeKind::podman).parse_list(fixture("podman-4.3-images-dangling.json"));
    REQUIRE(images);
    REQUIRE(images->size() == 3);
    CHECK(images->at(0).repository == "localhost/scratch");
    CHECK(images->at(1).repository.empty());
    CHECK(images->at(1).tag.empty());
    CHECK(images->at(1).id == "sha256:1529cc784b1980665b5a94c0a26655cb346ad89d8b786fc2df52e5aad7e73ccb");
    CHECK(images->at(1).size == 11331u);
}

TEST_CASE("docker's listing lines give full ids, <none> as empty and sizes in decimal units") {
    auto images = Runtime(RuntimeKind::docker).parse_list(fixture("docker-images-no-trunc.jsonl"));
    REQUIRE(images);
    REQUIRE(images->size() == 3);
    CHECK(images->at(0).repository == "localhost/busybox");
    CHECK(images->at(0).id == kBusyboxId);
    CHECK(images->at(0).size == 2'140'000u);
    CHECK(images->at(1).tag == "1.0");
    CHECK(images->at(2).repository.empty());
    CHECK(images->at(2).tag.empty());
    CHECK(images->at(2).size == 11'300u);
    CHECK(Runtime(RuntimeKind::docker).parse_list("\n").value().empty());
}

TEST_CASE("a hostile or broken listing is refused, never half read") {
    Runtime podman(RuntimeKind::podman), docker(RuntimeKind::docker);
    CHECK(!podman.parse_list("Error: something"));
    CHECK(!podman.parse_list(R"([{"Id":"../../etc","Names":["a:1"],"Size":1}])"));
    CHECK(!podman.parse_list(R"([{"Id":"sha256:)" + std::string(64, 'A') + R"(","Size":1}])"));
    CHECK(!podman.parse_list(R"([{"Id":")" + std::string(64, 'a') + R"(","Size":-1}])"));
    CHECK(!podman.parse_list(R"([{"Id":")" + std::string(64, 'a') + R"(","Names":"a:1"}])"));
    CHECK(!podman.parse_list(R"([{"Id":")" + std::string(64, 'a') + R"(","Names":[")" + std::string(2000, 'n') + R"("]}])"));
    CHECK(!docker.parse_list(R"({"ID":"sha256:)" + std::string(64, 'a') + R"(","Repository":"a","Tag":"1","Size":"12 parsecs"})"));
    CHECK(!docker.parse_list(R"({"ID":"abc","Repository":"a","Tag":"1","Size":"1MB"})"));
    CHECK(!docker.parse_list("[1,2]\n"));

    // A node that lists more images than any lab has is refused, not trimmed.
    std::string many;
    for (std::size_t i = 0; i <= kMaxNodeImages; ++i)
        many += R"({"ID":"sha256:)" + std::string(64, 'a') + R"(","Repository":"r","Tag":"t","Size":"1B"})" "\n";
    auto refused = docker.parse_list(many);
    REQUIRE(!refused);
    CHECK(refused.error().message.find("more than") != std::string::npos);
}

TEST_CASE("the auth file is what both runtimes read, with Docker Hub under docker's own key") {
    auto podman = nlohmann::json::parse(auth_file_contents(RuntimeKind::podman, "reg.lab:5000", "robot$ci", "s3:cret"));
    CHECK(base64_decode(podman["auths"]["reg.lab:5000"]["auth"].get<std::string>()).value() == "robot$ci:s3:cret");
    CHECK(!podman["auths"]["reg.lab:5000"].contains("identitytoken"));
    auto docker = nlohmann::json::parse(auth_file_contents(RuntimeKind::docker, "docker.io", "u", "p", "tok"));
    CHECK(docker["auths"]["https://index.docker.io/v1/"]["identitytoken"] == "tok");
    CHECK(nlohmann::json::parse(auth_file_contents(RuntimeKind::podman, "docker.io", "u", "p"))["auths"].contains("docker.io"));
}

TEST_CASE("a pull with credentials reads them from stdin into a private 0600 file that is gone afterwards") {
    FakeRuntimeNode node("podman",
                         "stat -c %a auth.json > \"$L/mode\"\nstat -c %a . > \"$L/dirmode\"\ncat auth.json > \"$L/auth\"\n");
    const std::string line = pull_with_auth_line(Runtime(RuntimeKind::podman), "reg.lab:5000/team/x:1");
    CHECK(line.find("s3cret") == std::string::npos);
    CHECK(node.run(line, "{\"auths\":\"s3cret\"}") == 0);
    CHECK(node.log("argv") == "pull\n--quiet\n--authfile\nauth.json\n--\nreg.lab:5000/team/x:1\n");
    CHECK(node.log("auth") == "{\"auths\":\"s3cret\"}");
    CHECK(node.log("mode") == "600\n");
    CHECK(node.log("dirmode") == "700\n");
    CHECK(node.log("cwd").starts_with(node.dir.file("tmp") + "/"));
    CHECK(!node.private_dirs_left());
}

TEST_CASE("docker's pull reads config.json from the private directory it runs in") {
    FakeRuntimeNode node("docker", "cat \"$2/config.json\" > \"$L/auth\"\n");
    CHECK(node.run(pull_with_auth_line(Runtime(RuntimeKind::docker), "x:1"), "{}") == 0);
    CHECK(node.log("argv") == "--config\n.\npull\n--quiet\n--\nx:1\n");
    CHECK(node.log("auth") == "{}");
    CHECK(!node.private_dirs_left());
}

TEST_CASE("a failed pull keeps its exit status and still removes the auth file") {
    FakeRuntimeNode node("podman", "exit 7\n");
    CHECK(node.run(pull_with_auth_line(Runtime(RuntimeKind::podman), "x:1"), "{}") == 7);
    CHECK(!node.private_dirs_left());
}

TEST_CASE("an auth file over the bound is refused before any pull") {
    FakeRuntimeNode node("podman", "");
    CHECK(node.run(pull_with_auth_line(Runtime(RuntimeKind::podman), "x:1"), std::string(kMaxAuthFileBytes + 1, 'a')) == 1);
    CHECK(node.log("argv").empty());
    CHECK(!node.private_dirs_left());
}

TEST_CASE("a pull the node's own deadline stops still removes the auth file") {
    FakeRuntimeNode node("podman", "exec sleep 30\n");
    const std::string line =
        with_remote_deadline(pull_with_auth_line(Runtime(RuntimeKind::podman), "x:1"), std::chrono::milliseconds(500));
    CHECK(node.run(line, "{}") != 0);
    CHECK(!node.log("argv").empty());
    CHECK(!node.private_dirs_left());
}

TEST_CASE("podman stores a served image under its final name with one pull and a private registries.conf") {
    FakeRuntimeNode node("podman", "cat \"$CONTAINERS_REGISTRIES_CONF\" > \"$L/conf\"\n"
                                   "printf '%s\\n' \"$*\" >> \"$L/calls\"\n");
    auto line = Runtime(RuntimeKind::podman).install_served_line("127.0.0.1:41000/clusterctl-push/ab12", "team/app", "v2");
    REQUIRE(line);
    CHECK(node.run(*line, "") == 0);
    // Only the pull: no tag, no rmi, no temporary name ever in the node's store.
    CHECK(node.log("calls") == "pull --quiet -- localhost/team/app:v2\n");
    CHECK(node.log("conf") == "[[registry]]\nprefix = \"localhost/team/app\"\n"
                              "location = \"127.0.0.1:41000/clusterctl-push/ab12\"\ninsecure = true\n");
    CHECK(!node.private_dirs_left());
    // A name with a registry keeps it, as podman would.
    line = Runtime(RuntimeKind::podman).install_served_line("127.0.0.1:41000/clusterctl-push/ab12", "reg.lab:5000/app", "1");
    REQUIRE(line);
    CHECK(node.run(*line, "") == 0);
    CHECK(node.log("argv") == "pull\n--quiet\n--\nreg.lab:5000/app:1\n");
}

TEST_CASE("a failed podman install keeps the pull's exit status and removes its registries.conf") {
    FakeRuntimeNode node("podman", "exit 125\n");
    auto line = Runtime(RuntimeKind::podman).install_served_line("127.0.0.1:41000/clusterctl-push/ab12", "app", "1");
    REQUIRE(line);
    CHECK(node.run(*line, "") == 125);
    CHECK(!node.private_dirs_left());
}

TEST_CASE("docker pulls the served name, tags the final one and drops the served one, whatever fails") {
    const std::string served = "127.0.0.1:41000/clusterctl-push/ab12";
    for (auto [fail_on, status] : {std::pair{"", 0}, std::pair{"pull", 1}, std::pair{"tag", 2}}) {
        CAPTURE(fail_on);
        FakeRuntimeNode node("docker", std::string("printf '%s\\n' \"$*\" >> \"$L/calls\"\n") +
                                           "[ \"$1\" = pull ] && [ " + shell_quote(fail_on) + " = pull ] && exit 1\n" +
                                           "[ \"$1\" = tag ] && [ " + shell_quote(fail_on) + " = tag ] && exit 2\nexit 0\n");
        auto line = Runtime(RuntimeKind::docker).install_served_line(served, "team/app", "v2");
        REQUIRE(line);
        CHECK(node.run(*line, "") == status);
        std::string calls = "pull --quiet -- " + served + ":v2\n";
        if (std::string(fail_on) != "pull") calls += "tag -- " + served + ":v2 team/app:v2\n";
        calls += "rmi -- " + served + ":v2\n";
        CHECK(node.log("calls") == calls);
    }
}

TEST_CASE("names that could break out of the node's registries.conf or argv are refused") {
    const Runtime podman(RuntimeKind::podman);
    const std::string served = "127.0.0.1:41000/clusterctl-push/ab12";
    for (const char* bad : {"team/app\"\nlocation = \"evil", "team/app\\x", "Team/App", "app name", "", "app;rm"}) {
        CAPTURE(bad);
        auto line = podman.install_served_line(served, bad, "1");
        REQUIRE_FALSE(line);
        CHECK(line.error().message == fmt::format("invalid image name \"{}\"", bad));
    }
    for (const char* bad : {"v1\"", "", "v 1", "v1/x"}) {
        CAPTURE(bad);
        auto line = podman.install_served_line(served, "app", bad);
        REQUIRE_FALSE(line);
        CHECK(line.error().message == fmt::format("invalid image tag \"{}\"", bad));
    }
    CHECK_FALSE(podman.install_served_line("127.0.0.1:1/x\"y", "app", "1"));
}
