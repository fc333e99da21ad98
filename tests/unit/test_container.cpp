#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>

#include "core/shell_quote.hpp"
#include "runtime/container.hpp"
#include "temp_dir.hpp"

using namespace cc;
using Argv = std::vector<std::string>;

namespace {

ContainerSpec basic_spec() {
    ContainerSpec spec;
    spec.name = "web1";
    spec.owner = "alice";
    spec.image = "localhost/busybox:latest";
    return spec;
}

Argv run_of(RuntimeKind kind, const ContainerSpec& spec, bool quota = false) {
    auto run = run_argv(kind, spec, quota);
    REQUIRE_MESSAGE(run.has_value(), run.error().message);
    return run->argv;
}

// What a POSIX shell makes of shell_join(argv): the words the runtime would get,
// read back NUL-separated so newlines inside a word survive.
Argv as_the_shell_splits_it(const Argv& argv) {
    TempDir dir;
    Argv printer{"printf", "%s\\0"};
    printer.insert(printer.end(), argv.begin(), argv.end());
    std::string script = dir.write("line", shell_join(printer));
    std::string command = "sh " + shell_quote(script);
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::string out;
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
    REQUIRE(::pclose(pipe) == 0);
    Argv words;
    for (std::size_t start = 0, nul; (nul = out.find('\0', start)) != std::string::npos; start = nul + 1)
        words.push_back(out.substr(start, nul - start));
    return words;
}

}  // namespace

TEST_SUITE_BEGIN("container");

TEST_CASE("a plain spec runs detached, named and labelled with its instance and owner, options before -- and the image") {
    CHECK(run_of(RuntimeKind::podman, basic_spec()) ==
          Argv{"podman", "run", "-d", "--name", "web1", "--label", "clusterctl.instance=web1", "--label", "clusterctl.owner=alice",
               "--", "localhost/busybox:latest"});
    CHECK(run_of(RuntimeKind::docker, basic_spec()).front() == "docker");
}

TEST_CASE("every limit, port, variable, volume, label and the command reach the argv in their runtime's syntax") {
    ContainerSpec spec = basic_spec();
    spec.cpus_milli = 12'500;
    spec.memory_bytes = 64ull << 30;
    spec.ports = {{30001, 8888, "tcp"}, {30002, 53, "udp"}};
    spec.env = {{"TOKEN", "abc"}, {"EMPTY", ""}};
    spec.volumes = {{"/data/project", "/data", true}, {"/scratch", "/scratch", false}};
    spec.labels = {{"team", "vision"}};
    spec.command = {"jupyter", "lab", "--port", "8888"};
    CHECK(run_of(RuntimeKind::podman, spec) ==
          Argv{"podman", "run", "-d", "--name", "web1", "--label", "clusterctl.instance=web1", "--label", "clusterctl.owner=alice",
               "--label", "team=vision", "--cpus", "12.5", "--memory", "68719476736", "-p", "30001:8888/tcp", "-p", "30002:53/udp",
               "-e", "TOKEN=abc", "-e", "EMPTY=", "-v", "/data/project:/data:ro", "-v", "/scratch:/scratch", "--",
               "localhost/busybox:latest", "jupyter", "lab", "--port", "8888"});
}

TEST_CASE("CPUs are written as an exact decimal from thousandths") {
    struct Row {
        std::uint64_t milli;
        const char* text;
    };
    for (auto row : {Row{1, "0.001"}, Row{500, "0.5"}, Row{1000, "1"}, Row{1500, "1.5"}, Row{12'500, "12.5"}, Row{32'500, "32.5"},
                     Row{10, "0.01"}, Row{123'456, "123.456"}}) {
        CAPTURE(row.milli);
        CHECK(cpus_decimal(row.milli) == row.text);
    }
}

TEST_CASE("a storage limit is passed where the node can enforce it and reported as not enforced where it cannot") {
    ContainerSpec spec = basic_spec();
    spec.storage_bytes = 100ull << 30;
    auto enforced = run_argv(RuntimeKind::podman, spec, true).value();
    CHECK(enforced.storage == StorageLimit::enforced);
    CHECK(std::ranges::find(enforced.argv, "size=107374182400") != enforced.argv.end());
    auto not_enforced = run_argv(RuntimeKind::podman, spec, false).value();
    CHECK(not_enforced.storage == StorageLimit::not_enforced);
    CHECK(std::ranges::find(not_enforced.argv, "--storage-opt") == not_enforced.argv.end());
    CHECK(run_argv(RuntimeKind::podman, basic_spec(), false)->storage == StorageLimit::not_asked);
}

TEST_CASE("hostile env values, label values, owners and commands reach the runtime verbatim through shell_join") {
    const std::vector<std::string> hostile{"$(touch /tmp/pwned)", "`id`", "a'b\"c", "x; rm -rf /", "line1\nline2", "--privileged",
                                           "${HOME}", "*", "\\", " lead and trail ", "é ✓", "-e"};
    for (const auto& value : hostile) {
        CAPTURE(value);
        ContainerSpec spec = basic_spec();
        spec.env = {{"V", value}};
        spec.command = {"sh", "-c", value, value};
        if (value.find('\n') == std::string::npos) {
            spec.owner = value;
            spec.labels = {{"note", value}};
        }
        for (auto kind : {RuntimeKind::podman, RuntimeKind::docker}) {
            Argv argv = run_of(kind, spec);
            CHECK(std::ranges::search(argv, Argv{"-e", "V=" + value}).begin() != argv.end());
            CHECK(Argv(argv.end() - 4, argv.end()) == Argv{"sh", "-c", value, value});
            if (value.find('\n') == std::string::npos) {
                CHECK(std::ranges::search(argv, Argv{"--label", "clusterctl.owner=" + value}).begin() != argv.end());
                CHECK(std::ranges::search(argv, Argv{"--label", "note=" + value}).begin() != argv.end());
            }
            CHECK(as_the_shell_splits_it(argv) == argv);
        }
    }
}

TEST_CASE("names, labels, owners, images, volumes and ports the runtime would misread are refused, naming the value") {
    struct Row {
        const char* what;
        void (*change)(ContainerSpec&);
        const char* message_part;
    };
    const Row rows[] = {
        {"name with a space", [](ContainerSpec& s) { s.name = "a b"; }, "container name \"a b\""},
        {"name with a newline", [](ContainerSpec& s) { s.name = "a\nb"; }, "container name \"a?b\""},
        {"name with $()", [](ContainerSpec& s) { s.name = "$(id)"; }, "container name"},
        {"name starting with a dash", [](ContainerSpec& s) { s.name = "-rm"; }, "container name \"-rm\""},
        {"empty name", [](ContainerSpec& s) { s.name = ""; }, "container name"},
        {"owner with a newline", [](ContainerSpec& s) { s.owner = "bob\nroot"; }, "owner \"bob?root\""},
        {"owner with a NUL", [](ContainerSpec& s) { s.owner = std::string("bob\0x", 5); }, "owner"},
        {"image starting with a dash", [](ContainerSpec& s) { s.image = "--privileged"; }, "image \"--privileged\""},
        {"label value with a newline", [](ContainerSpec& s) { s.labels = {{"k", "v\nclusterctl.owner=root"}}; }, "label \"k\""},
        {"label key with =", [](ContainerSpec& s) { s.labels = {{"a=b", "v"}}; }, "label \"a=b\""},
        {"reserved label", [](ContainerSpec& s) { s.labels = {{"clusterctl.owner", "root"}}; }, "clusterctl. prefix"},
        {"env key with =", [](ContainerSpec& s) { s.env = {{"A=B", "v"}}; }, "environment variable \"A=B\""},
        {"empty env key", [](ContainerSpec& s) { s.env = {{"", "v"}}; }, "environment variable"},
        {"env value with a NUL", [](ContainerSpec& s) { s.env = {{"K", std::string("a\0b", 3)}}; }, "environment variable \"K\""},
        {"volume source with a colon", [](ContainerSpec& s) { s.volumes = {{"/a:/etc", "/b", false}}; }, "volume source \"/a:/etc\""},
        {"volume destination with a comma", [](ContainerSpec& s) { s.volumes = {{"/a", "/b,ro", false}}; }, "volume destination"},
        {"relative volume source", [](ContainerSpec& s) { s.volumes = {{"data", "/data", false}}; }, "not an absolute path"},
        {"port 0", [](ContainerSpec& s) { s.ports = {{0, 80, "tcp"}}; }, "port map 0:80"},
        {"protocol sctp", [](ContainerSpec& s) { s.ports = {{30000, 80, "sctp"}}; }, "port protocol \"sctp\""},
        {"command with a NUL", [](ContainerSpec& s) { s.command = {std::string("a\0b", 3)}; }, "command argument"},
    };
    for (const auto& row : rows) {
        CAPTURE(row.what);
        ContainerSpec spec = basic_spec();
        row.change(spec);
        auto run = run_argv(RuntimeKind::podman, spec, false);
        REQUIRE_FALSE(run.has_value());
        CHECK(run.error().kind == ErrorKind::invalid_input);
        CHECK(run.error().message.find(row.message_part) != std::string::npos);
    }
}

TEST_CASE("start, stop, restart, rm, logs, exec and inspect name the container after --") {
    const auto p = RuntimeKind::podman;
    CHECK(start_argv(p, "web1") == Argv{"podman", "start", "--", "web1"});
    CHECK(stop_argv(RuntimeKind::docker, "web1", std::chrono::seconds(10)) == Argv{"docker", "stop", "-t", "10", "--", "web1"});
    CHECK(restart_argv(p, "web1", std::chrono::seconds(5)) == Argv{"podman", "restart", "-t", "5", "--", "web1"});
    CHECK(remove_container_argv(p, "web1") == Argv{"podman", "rm", "-f", "-t", "0", "--", "web1"});
    CHECK(remove_container_argv(RuntimeKind::docker, "web1") == Argv{"docker", "rm", "-f", "--", "web1"});
    CHECK(logs_argv(p, "web1", false, std::nullopt) == Argv{"podman", "logs", "--", "web1"});
    CHECK(logs_argv(p, "web1", true, 100u) == Argv{"podman", "logs", "-f", "--tail", "100", "--", "web1"});
    CHECK(exec_argv(p, "web1", {"sh", "-c", "echo $HOME"}, true).value() == Argv{"podman", "exec", "-it", "--", "web1", "sh", "-c", "echo $HOME"});
    CHECK(exec_argv(p, "web1", {"true"}, false).value() == Argv{"podman", "exec", "-i", "--", "web1", "true"});
    CHECK_FALSE(exec_argv(p, "web1", {}, false).has_value());
    CHECK(inspect_argv(RuntimeKind::docker, "web1") == Argv{"docker", "container", "inspect", "--", "web1"});
}

TEST_CASE("the storage probe says a root size can be held only on overlay over xfs, or docker's btrfs and zfs") {
    CHECK(storage_probe_argv(RuntimeKind::podman) ==
          Argv{"podman", "info", "--format", R"({{.Store.GraphDriverName}} {{index .Store.GraphStatus "Backing Filesystem"}})"});
    CHECK(storage_probe_argv(RuntimeKind::docker).front() == "docker");
    struct Row {
        RuntimeKind kind;
        const char* output;
        bool can;
    };
    const auto p = RuntimeKind::podman, d = RuntimeKind::docker;
    for (auto row : {Row{p, "overlay extfs\n", false}, Row{p, "overlay xfs\n", true}, Row{p, "vfs extfs", false},
                     Row{p, "btrfs btrfs", false}, Row{d, "overlay2 xfs\n", true}, Row{d, "overlay2 extfs\n", false},
                     Row{d, "btrfs \n", true}, Row{d, "zfs ", true}, Row{d, "devicemapper ", false}}) {
        CAPTURE(row.output);
        CHECK(parse_storage_quota(row.kind, row.output).value() == row.can);
    }
    for (const char* bad : {"", "overlay", "Error: cannot connect\n", "overlay xfs\x1b[2J", "overlay\nxfs"}) {
        CAPTURE(bad);
        CHECK_FALSE(parse_storage_quota(p, bad).has_value());
    }
}
