// The per-node GPU script's sectioned output (lib/gpu/node_gpu.cpp) and the
// join of one node's report with the inventory's instances (lib/ops/gpu_status.cpp).
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "gpu/node_gpu.hpp"
#include "ops/gpu_status.hpp"
#include "sectioned_output.hpp"
#include "temp_dir.hpp"

using namespace cc;
namespace fs = std::filesystem;

namespace {

const std::string id_a = "4f1d3c2b1a09e8d7c6b5a4938271605f4e3d2c1b0a9988776655443322110011";
const std::string id_b = "aaaabbbbccccddddeeeeffff0000111122223333444455556666777788889999";

// What nvidia_gpu_query_command() prints on a two-GPU node (csv, nounits).
const std::string gpus_csv =
    "index, uuid, name, pci.bus_id, utilization.gpu [%], memory.used [MiB], memory.total [MiB], temperature.gpu, "
    "power.draw [W], power.limit [W], mig.mode.current, driver_version\n"
    "0, GPU-aaaa, NVIDIA H100 80GB HBM3, 00000000:00:09.0, 97, 19818, 81559, 59, 631.95, 700.00, Disabled, 590.48.01\n"
    "1, GPU-bbbb, NVIDIA H100 80GB HBM3, 00000000:00:0A.0, 3, 12, 81559, 41, 69.85, 700.00, Disabled, 590.48.01\n";

const std::string apps_csv =
    "gpu_uuid, pid, used_gpu_memory [MiB], process_name\n"
    "GPU-aaaa, 4242, 19000, python3\n"
    "GPU-aaaa, 4243, 800, python3\n"
    "GPU-bbbb, 5151, [N/A], sleep\n";

std::string nvidia_output() {
    return sectioned({{"vendor", "nvidia"}, {"gpus", gpus_csv}, {"gpus_rc", "0"}, {"apps", apps_csv}, {"apps_rc", "0"},
                      {"owners", "4242\talice\t0::/machine.slice/libpod-" + id_a + ".scope/container \n"
                                 "4243\talice\t0::/machine.slice/libpod-" + id_a + ".scope/container \n"
                                 "5151\tbob\t0::/user.slice/user-1001.slice/session-4.scope \n"},
                      {"containers", "docker\t" + id_a + "\ttrain-alice\npodman\t" + id_b + "\tother\n"}});
}

NodeGpuReport parsed(const std::string& output, std::string_view nonce = kTestNonce) {
    auto report = parse_node_gpu_output(output, nonce);
    REQUIRE(report);
    return *report;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// A report with one GPU and the given processes, owners and containers.
NodeGpuReport one_gpu(std::vector<GpuProcessSample> processes) {
    NodeGpuReport r;
    r.vendor = "nvidia";
    GpuSample g;
    g.uuid = "GPU-aaaa";
    g.memory_total_mib = 81559;
    g.memory_used_mib = 100;
    r.gpus = {g};
    r.processes = std::move(processes);
    return r;
}

std::string cgroup_of(const std::string& id) { return "0::/machine.slice/libpod-" + id + ".scope/container "; }

}  // namespace

TEST_SUITE_BEGIN("gpu node report");

TEST_CASE("each section of the node script's output lands in its own field") {
    NodeGpuReport r = parsed(nvidia_output());
    CHECK(r.vendor == "nvidia");
    CHECK(r.error.empty());
    REQUIRE(r.gpus.size() == 2);
    CHECK(r.gpus[0].uuid == "GPU-aaaa");
    CHECK(r.gpus[0].utilization_gpu == 97);
    CHECK(r.gpus[0].memory_used_mib == 19818u);
    CHECK(r.gpus[0].temperature_c == 59);
    CHECK(r.gpus[1].uuid == "GPU-bbbb");
    CHECK(r.gpus[1].pci_bus_id == "00000000:00:0A.0");
    REQUIRE(r.processes.size() == 3);
    CHECK(r.processes[0].pid == 4242);
    CHECK(r.processes[2].gpu_uuid == "GPU-bbbb");
    CHECK_FALSE(r.processes[2].used_memory_mib);
    REQUIRE(r.owners.size() == 3);
    CHECK(r.owners.at(4242).user == "alice");
    CHECK(r.owners.at(4242).cgroup == cgroup_of(id_a));
    CHECK(r.owners.at(5151).user == "bob");
    CHECK(r.container_names == std::map<std::string, std::string>{{id_a, "train-alice"}, {id_b, "other"}});
    CHECK(r.container_runtimes == std::map<std::string, std::string>{{id_a, "docker"}, {id_b, "podman"}});
}

TEST_CASE("a node without nvidia-smi or rocm-smi reports vendor none and no error") {
    NodeGpuReport r = parsed(sectioned({{"vendor", "none"}, {"owners", ""}, {"containers", ""}}));
    CHECK(r.vendor == "none");
    CHECK(r.error.empty());
    CHECK(r.gpus.empty());
}

TEST_CASE("output without the vendor line is an error that suspects the login shell") {
    auto r = parse_node_gpu_output("Illegal variable name.\n", kTestNonce);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::remote);
    CHECK(r.error().message.find("POSIX") != std::string::npos);
    CHECK_FALSE(parse_node_gpu_output("", kTestNonce));
}

TEST_CASE("a failing nvidia-smi is the node's error, quoted from its first line, with no GPUs") {
    NodeGpuReport r = parsed(sectioned(
        {{"vendor", "nvidia"},
         {"gpus", "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\n"
                  "Make sure that the latest NVIDIA driver is installed and running.\n"},
         {"gpus_rc", "9"}, {"apps", ""}, {"apps_rc", "9"}, {"owners", ""}, {"containers", ""}}));
    CHECK(r.error == "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.");
    CHECK(r.gpus.empty());
    CHECK(r.processes.empty());
    CHECK(parsed(sectioned({{"vendor", "nvidia"}, {"gpus", ""}, {"gpus_rc", "127"}})).error == "no output");
}

TEST_CASE("a failing process list keeps the GPUs and names the process list in the error") {
    NodeGpuReport r = parsed(sectioned({{"vendor", "nvidia"}, {"gpus", gpus_csv}, {"gpus_rc", "0"},
                                        {"apps", "Unknown Error\n"}, {"apps_rc", "255"}}));
    CHECK(r.gpus.size() == 2);
    CHECK(r.processes.empty());
    CHECK(r.error == "process list: Unknown Error");
}

TEST_CASE("GPU output that is not our CSV keeps the parser's message as the node's error") {
    NodeGpuReport r = parsed(sectioned({{"vendor", "nvidia"}, {"gpus", "index, name\n0, X\n"}, {"gpus_rc", "0"}}));
    CHECK(r.gpus.empty());
    CHECK(r.error.find("uuid") != std::string::npos);
}

TEST_CASE("an AMD node's gpus section is read as rocm-smi JSON") {
    std::string json = read_file(fs::path(CLUSTERCTL_FIXTURES_DIR) / "rocm-smi" / "instinct-mi300x__rocm-6.2.json");
    REQUIRE_FALSE(json.empty());
    NodeGpuReport r = parsed(sectioned({{"vendor", "amd"}, {"gpus", json}, {"gpus_rc", "0"}}));
    CHECK(r.vendor == "amd");
    CHECK(r.error.empty());
    REQUIRE_FALSE(r.gpus.empty());
    CHECK(r.gpus[0].index == 0);
    CHECK(r.gpus[0].memory_total_mib > 0u);
    CHECK(r.processes.empty());
}

TEST_CASE("owner and container lines that do not fit are skipped") {
    NodeGpuReport r = parsed(sectioned({{"vendor", "nvidia"}, {"gpus", gpus_csv}, {"gpus_rc", "0"}, {"apps", apps_csv},
                                        {"apps_rc", "0"}, {"owners", "abc\troot\t0::/\n4242\talice\n\n5151\t\t\n"},
                                        {"containers", id_a + "\tno-runtime\ndocker\t" + id_b + "\tok\n"}}));
    CHECK(r.owners.size() == 1);
    CHECK(r.owners.at(5151).user.empty());
    CHECK(r.container_names == std::map<std::string, std::string>{{id_b, "ok"}});
}

TEST_CASE("the node script, run by /bin/sh against the replaying nvidia-smi, parses to the capture's GPU") {
    REQUIRE_MESSAGE(fs::exists("/usr/bin/python3"), "the fake nvidia-smi needs /usr/bin/python3 (package python3)");
    TempDir dir;
    // A PATH with the fake and the tools the script uses, and no podman or docker.
    fs::copy_file(fs::path(CLUSTERCTL_FIXTURES_DIR) / ".." / "cluster" / "fake-nvidia-smi", dir.path / "nvidia-smi");
    fs::permissions(dir.path / "nvidia-smi", fs::perms::owner_all);
    for (const char* tool : {"awk", "ps", "tr", "sed", "cat"})
        for (const char* bin : {"/usr/bin/", "/bin/"})
            if (fs::exists(std::string(bin) + tool) && !fs::exists(dir.path / tool)) {
                fs::create_symlink(std::string(bin) + tool, dir.path / tool);
            }
    dir.write("nvidia-smi.capture",
              (fs::path(CLUSTERCTL_FIXTURES_DIR) / "nvidia-smi" / "linux-x86_64__nvidia-h200__590.48.01.txt").string());
    dir.write("nvidia-smi.phase", "load");
    int me = static_cast<int>(::getpid());  // a real pid, so the owners section has a user and a cgroup
    dir.write("nvidia-smi.processes",
              "gpu_uuid,pid,process_name,used_gpu_memory [MiB]\nGPU-00000000-0000-0000-0000-000000000000," +
                  std::to_string(me) + ",unit_tests,1024\n");
    const std::string nonce = new_section_nonce();
    dir.write("script.sh", node_gpu_script(nonce));
    std::string out;
    FILE* pipe = ::popen(("env -i PATH=" + dir.path.string() + " /bin/sh " + dir.file("script.sh")).c_str(), "r");
    REQUIRE(pipe);
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
    ::pclose(pipe);  // dash's `command -v docker` answers 127 here: the status is no verdict
    CAPTURE(out);
    NodeGpuReport r = parsed(out, nonce);
    CHECK(r.vendor == "nvidia");
    CHECK(r.error.empty());
    REQUIRE(r.gpus.size() == 1);
    CHECK(r.gpus[0].name == "NVIDIA H200");
    CHECK(r.gpus[0].utilization_gpu == 100);
    CHECK(r.gpus[0].memory_used_mib == 32362u);
    CHECK(r.gpus[0].temperature_c == 52);
    REQUIRE(r.processes.size() == 1);
    CHECK(r.processes[0].pid == me);
    CHECK(r.processes[0].used_memory_mib == 1024u);
    REQUIRE(r.owners.count(me) == 1);
    CHECK_FALSE(r.owners.at(me).user.empty());
    CHECK(r.owners.at(me).cgroup.find("::") != std::string::npos);
    CHECK(r.container_names.empty());
}

TEST_SUITE_END();

TEST_SUITE_BEGIN("gpu status join");

TEST_CASE("a process in an instance's container is shown with the instance and owner, found by container name") {
    NodeGpuReport r = one_gpu({{"GPU-aaaa", 4242, 19000, "python3"}});
    r.owners[4242] = {"root", cgroup_of(id_a)};
    r.container_names[id_a] = "train-alice";
    r.container_runtimes[id_a] = "podman";
    // An instance named like the container's id: a lookup by id would find this one.
    std::vector<InstanceRecord> instances{{"train-alice", "n1", "img", "alice"}, {id_a, "n1", "img", "mallory"}};
    auto views = join_gpu_report(r, instances);
    REQUIRE(views.size() == 1);
    REQUIRE(views[0].processes.size() == 1);
    const GpuProcess& p = views[0].processes[0];
    CHECK(p.container_id == id_a);
    CHECK(p.container_name == "train-alice");
    CHECK(p.instance == "train-alice");
    CHECK(p.owner == "alice");
    CHECK(p.user == "root");
    CHECK(p.used_memory_mib == 19000u);
    CHECK(views[0].holder == "train-alice (alice)");
}

TEST_CASE("a container that is no instance of ours is held by its name, an unnamed one by its short id") {
    NodeGpuReport r = one_gpu({{"GPU-aaaa", 1, 1, "a"}, {"GPU-aaaa", 2, 1, "b"}});
    r.owners[1] = {"root", cgroup_of(id_a)};
    r.owners[2] = {"root", cgroup_of(id_b)};
    r.container_names[id_a] = "jupyter";
    auto views = join_gpu_report(r, {{"train-alice", "n1", "img", "alice"}});
    REQUIRE(views[0].processes.size() == 2);
    CHECK(views[0].processes[0].instance.empty());
    CHECK(views[0].processes[1].container_name.empty());
    CHECK(views[0].holder == "jupyter, " + id_b.substr(0, 12));
}

TEST_CASE("a process outside containers is held by its user, or by its pid when the user is unknown") {
    NodeGpuReport r = one_gpu({{"GPU-aaaa", 7, 1, "a"}, {"GPU-aaaa", 8, 1, "b"}});
    r.owners[7] = {"bob", "0::/user.slice/user-1001.slice/session-4.scope "};
    auto views = join_gpu_report(r, {});
    CHECK(views[0].processes[0].user == "bob");
    CHECK(views[0].processes[0].container_id.empty());
    CHECK(views[0].holder == "bob, pid 8");
}

TEST_CASE("an instance without an owner is its name; one holder is listed once however many processes it has") {
    NodeGpuReport r = one_gpu({{"GPU-aaaa", 1, 1, "a"}, {"GPU-aaaa", 2, 1, "b"}});
    r.owners[1] = {"root", cgroup_of(id_a)};
    r.owners[2] = {"root", cgroup_of(id_a)};
    r.container_names[id_a] = "shared";
    auto views = join_gpu_report(r, {{"shared", "n1", "img", ""}});
    CHECK(views[0].processes.size() == 2);
    CHECK(views[0].holder == "shared");
}

TEST_CASE("the runtime listing the container wins over the cgroup's guess") {
    NodeGpuReport r = one_gpu({{"GPU-aaaa", 1, 1, "a"}});
    r.owners[1] = {"root", cgroup_of(id_a)};  // a libpod scope: podman by its cgroup
    CHECK(join_gpu_report(r, {})[0].processes[0].runtime == "podman");
    r.container_names[id_a] = "x";
    r.container_runtimes[id_a] = "docker";
    CHECK(join_gpu_report(r, {})[0].processes[0].runtime == "docker");
}

TEST_CASE("processes join the GPU whose uuid they name; an idle GPU has no holder") {
    NodeGpuReport r = parsed(nvidia_output());
    auto views = join_gpu_report(r, {{"train-alice", "n1", "img", "alice"}});
    REQUIRE(views.size() == 2);
    CHECK(views[0].sample.uuid == "GPU-aaaa");
    CHECK(views[0].processes.size() == 2);
    CHECK(views[0].holder == "train-alice (alice)");
    CHECK(views[0].processes[0].runtime == "docker");
    REQUIRE(views[1].processes.size() == 1);
    CHECK(views[1].processes[0].pid == 5151);
    CHECK(views[1].holder == "bob");
    r.processes.clear();
    for (const auto& v : join_gpu_report(r, {})) {
        CHECK(v.processes.empty());
        CHECK(v.holder.empty());
    }
}

TEST_CASE("free GPUs are those without processes and with at least the asked free memory") {
    NodeGpuReport r = parsed(nvidia_output());
    NodeResult<GpuNode> node;
    node.node = "n1";
    node.value.gpus = join_gpu_report(r, {});
    std::vector<NodeResult<GpuNode>> nodes{node};
    CHECK(free_gpus(nodes, 0).empty());
    r.processes.erase(r.processes.begin() + 2);  // GPU-bbbb is idle now: 81559 - 12 MiB free
    nodes[0].value.gpus = join_gpu_report(r, {});
    auto free = free_gpus(nodes, 81547);
    REQUIRE(free.size() == 1);
    CHECK(free[0].second->sample.uuid == "GPU-bbbb");
    CHECK(free_gpus(nodes, 81548).empty());
}

TEST_SUITE_END();
