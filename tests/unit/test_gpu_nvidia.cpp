#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "gpu/gpu_query.hpp"
#include "temp_dir.hpp"

using namespace cc;
namespace fs = std::filesystem;

namespace {

const fs::path captures_dir = fs::path(CLUSTERCTL_FIXTURES_DIR) / "nvidia-smi";
const fs::path fake_script = fs::path(CLUSTERCTL_FIXTURES_DIR) / ".." / "cluster" / "fake-nvidia-smi";

std::vector<fs::path> captures() {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(captures_dir))
        if (entry.path().extension() == ".txt") files.push_back(entry.path());
    std::ranges::sort(files);
    return files;
}

std::string driver_in_name(const fs::path& capture) {  // "…__590.48.01.txt"
    std::string stem = capture.stem().string();
    return stem.substr(stem.rfind("__") + 2);
}

// The body of the capture's "PHASE :: …" section whose command is the full
// `nvidia-smi --query-gpu=<every field> --format=csv` (or compute-apps).
std::string full_query_section(const fs::path& capture, const std::string& phase, const std::string& query) {
    std::ifstream in(capture);
    std::string line, title, body;
    bool in_body = false, wanted = false;
    int rules_after_command = 0;
    while (std::getline(in, line)) {
        bool rule = line.starts_with("####################");
        if (wanted && rule && ++rules_after_command == 2) break;
        if (wanted && in_body) body += line + "\n";
        if (wanted && rule) in_body = true;
        if (line.starts_with("# " + phase + " :: ")) title = line;
        if (!title.empty() && line.starts_with("# $ nvidia-smi --" + query + "=") && line.ends_with("--format=csv"))
            wanted = true;
    }
    return body;
}

// The replaying fake (tests/cluster/fake-nvidia-smi) answering ARGS from a
// capture, as nvidia-smi would. Without python3 the test fails: a skip would pass.
std::string fake_nvidia_smi(const fs::path& capture, const std::string& phase, const std::string& args,
                            const std::string& processes = "") {
    REQUIRE_MESSAGE(fs::exists("/usr/bin/python3"), "the fake nvidia-smi needs /usr/bin/python3 (package python3)");
    TempDir dir;
    fs::copy_file(fake_script, dir.path / "nvidia-smi");
    dir.write("nvidia-smi.capture", capture.string());
    dir.write("nvidia-smi.phase", phase);
    if (!processes.empty()) dir.write("nvidia-smi.processes", processes);
    std::string out;
    FILE* pipe = ::popen(("/usr/bin/python3 " + dir.file("nvidia-smi") + " " + args + " 2>&1").c_str(), "r");
    REQUIRE(pipe);
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
    ::pclose(pipe);
    return out;
}

std::string args_of(const std::string& command) { return command.substr(command.find(' ') + 1); }

struct Expected {
    std::string_view file_part, name, bus, mig;
    std::uint64_t total;
    std::optional<int> util[2];
    std::uint64_t used[2];
    int temp[2];
    double draw[2], limit;
    std::size_t processes[2];
};

// From the captures (idle, load).
const Expected expected[] = {
    {"rtx-4080-super", "NVIDIA GeForce RTX 4080 SUPER", "00000000:01:00.0", "", 16376, {0, 7}, {596, 1474}, {43, 46},
     {26.20, 84.24}, 320, {1, 3}},
    {"h100-80gb-hbm3", "NVIDIA H100 80GB HBM3", "00000000:00:09.0", "Disabled", 81559, {0, 100}, {0, 19818}, {41, 59},
     {69.85, 631.95}, 700, {0, 3}},
    {"h100-mig", "NVIDIA H100 80GB HBM3", "00000000:00:09.0", "Enabled", 81559, {std::nullopt, std::nullopt},
     {59, 11125}, {42, 53}, {71.15, 433.78}, 700, {0, 3}},
    {"h200", "NVIDIA H200", "00000000:83:00.0", "Disabled", 143771, {0, 100}, {0, 32362}, {28, 52}, {77.71, 627.40},
     700, {0, 3}},
};

const char* const phases[] = {"idle", "load"};

void check_same(const GpuSample& a, const GpuSample& b) {
    CHECK(a.index == b.index);
    CHECK(a.uuid == b.uuid);
    CHECK(a.name == b.name);
    CHECK(a.pci_bus_id == b.pci_bus_id);
    CHECK(a.utilization_gpu == b.utilization_gpu);
    CHECK(a.memory_used_mib == b.memory_used_mib);
    CHECK(a.memory_total_mib == b.memory_total_mib);
    CHECK(a.temperature_c == b.temperature_c);
    CHECK(a.power_draw_w == b.power_draw_w);
    CHECK(a.power_limit_w == b.power_limit_w);
    CHECK(a.mig_mode == b.mig_mode);
    CHECK(a.driver_version == b.driver_version);
}

const std::string header =
    "index, uuid, name, pci.bus_id, utilization.gpu [%], memory.used [MiB], memory.total [MiB], temperature.gpu, "
    "power.draw [W], power.limit [W], mig.mode.current, driver_version\n";

}  // namespace

TEST_SUITE_BEGIN("gpu nvidia-smi");

TEST_CASE("the query commands ask nvidia-smi for our fields, with a header and without units") {
    CHECK(nvidia_gpu_query_command() ==
          "nvidia-smi --query-gpu=index,uuid,name,pci.bus_id,utilization.gpu,memory.used,memory.total,"
          "temperature.gpu,power.draw,power.limit,mig.mode.current,driver_version --format=csv,nounits");
    CHECK(nvidia_apps_query_command() ==
          "nvidia-smi --query-compute-apps=gpu_uuid,pid,used_memory,process_name --format=csv,nounits");
}

TEST_CASE("every capture's full query-gpu section parses, units in values and extra columns included") {
    REQUIRE(captures().size() >= 4);
    for (const auto& capture : captures())
        for (const char* phase : phases) {
            CAPTURE(capture.filename().string());
            CAPTURE(phase);
            auto gpus = parse_nvidia_gpu_csv(full_query_section(capture, phase, "query-gpu"));
            REQUIRE(gpus);
            REQUIRE(gpus->size() == 1);
            const GpuSample& g = gpus->front();
            CHECK(g.index == 0);
            CHECK(g.uuid.starts_with("GPU-"));
            CHECK(g.name.starts_with("NVIDIA "));
            CHECK(g.driver_version == driver_in_name(capture));
            CHECK(g.memory_total_mib > 0u);
            CHECK(g.temperature_c > 0);
            CHECK(g.power_draw_w > 0.0);
        }
}

TEST_CASE("our query command, answered from every capture, parses to the capture's values") {
    for (const auto& capture : captures())
        for (const char* phase : phases) {
            CAPTURE(capture.filename().string());
            CAPTURE(phase);
            std::string out = fake_nvidia_smi(capture, phase, args_of(nvidia_gpu_query_command()));
            auto projected = parse_nvidia_gpu_csv(out);
            auto full = parse_nvidia_gpu_csv(full_query_section(capture, phase, "query-gpu"));
            REQUIRE(projected);
            REQUIRE(full);
            REQUIRE(projected->size() == full->size());
            check_same(projected->front(), full->front());
        }
}

TEST_CASE("idle and loaded captures give each card's values, loaded ones with processes") {
    std::set<std::string> seen;
    for (const auto& capture : captures())
        for (const Expected& e : expected) {
            if (capture.filename().string().find(e.file_part) == std::string::npos) continue;
            seen.insert(std::string(e.file_part));
            for (int p = 0; p < 2; ++p) {
                CAPTURE(capture.filename().string());
                CAPTURE(phases[p]);
                auto gpus = parse_nvidia_gpu_csv(full_query_section(capture, phases[p], "query-gpu"));
                REQUIRE(gpus);
                const GpuSample& g = gpus->front();
                CHECK(g.name == e.name);
                CHECK(g.pci_bus_id == e.bus);
                CHECK(g.mig_mode == e.mig);
                CHECK(g.memory_total_mib == e.total);
                CHECK(g.utilization_gpu == e.util[p]);
                CHECK(g.memory_used_mib == e.used[p]);
                CHECK(g.temperature_c == e.temp[p]);
                CHECK(g.power_draw_w == doctest::Approx(e.draw[p]));
                CHECK(g.power_limit_w == doctest::Approx(e.limit));
                auto apps = parse_nvidia_apps_csv(full_query_section(capture, phases[p], "query-compute-apps"));
                REQUIRE(apps);
                CHECK(apps->size() == e.processes[p]);
                for (const auto& app : *apps) {
                    CHECK(app.gpu_uuid == g.uuid);
                    CHECK(app.pid > 0);
                    CHECK(app.used_memory_mib > 0u);
                    CHECK_FALSE(app.process_name.empty());
                }
            }
        }
    CHECK(seen.size() == std::size(expected));
}

TEST_CASE("captures cover consumer and datacenter cards and every driver version present") {
    std::set<std::string> drivers, names;
    for (const auto& capture : captures()) {
        auto gpus = parse_nvidia_gpu_csv(full_query_section(capture, "idle", "query-gpu"));
        REQUIRE(gpus);
        drivers.insert(gpus->front().driver_version);
        names.insert(gpus->front().name);
    }
    CHECK(drivers == std::set<std::string>{"590.48.01", "595.71.05"});
    CHECK(names.contains("NVIDIA GeForce RTX 4080 SUPER"));
    CHECK(names.contains("NVIDIA H200"));
}

TEST_CASE("a MIG-enabled GPU parses with mig mode Enabled and no utilization") {
    for (const auto& capture : captures()) {
        if (capture.filename().string().find("mig") == std::string::npos) continue;
        std::string out = fake_nvidia_smi(capture, "load", args_of(nvidia_gpu_query_command()));
        CHECK(out.find("[N/A]") != std::string::npos);
        auto gpus = parse_nvidia_gpu_csv(out);
        REQUIRE(gpus);
        CHECK(gpus->front().mig_mode == "Enabled");
        CHECK_FALSE(gpus->front().utilization_gpu);
        CHECK(gpus->front().memory_used_mib == 11125u);
        auto apps = parse_nvidia_apps_csv(fake_nvidia_smi(capture, "load", args_of(nvidia_apps_query_command())));
        REQUIRE(apps);
        REQUIRE(apps->size() == 3);
        CHECK(apps->front().gpu_uuid == gpus->front().uuid);  // driver 590 names the parent GPU
        CHECK(apps->front().pid == 21180);
        CHECK(apps->front().used_memory_mib == 2296u);
        CHECK(apps->front().process_name == "/root/tools/memhog");
    }
}

TEST_CASE("unavailable values become empty, whatever nvidia-smi calls them") {
    auto gpus = parse_nvidia_gpu_csv(header +
                                     "  1 , GPU-a , Tesla T4 , [N/A] , [Not Supported] , N/A , [Unknown Error] , "
                                     "[N/A] , [Requested functionality has been deprecated] , N/A , [N/A] , N/A \n");
    REQUIRE(gpus);
    const GpuSample& g = gpus->front();
    CHECK(g.index == 1);
    CHECK(g.uuid == "GPU-a");
    CHECK(g.name == "Tesla T4");
    CHECK(g.pci_bus_id.empty());
    CHECK_FALSE(g.utilization_gpu);
    CHECK_FALSE(g.memory_used_mib);
    CHECK_FALSE(g.memory_total_mib);
    CHECK_FALSE(g.temperature_c);
    CHECK_FALSE(g.power_draw_w);
    CHECK_FALSE(g.power_limit_w);
    CHECK(g.mig_mode.empty());
    CHECK(g.driver_version.empty());
}

TEST_CASE("units left in values are stripped") {
    auto gpus = parse_nvidia_gpu_csv(
        header + "0, GPU-a, A100, 0000:3B:00.0, 87 %, 1024 MiB, 40960 MiB, 61 C, 251.37 W, 400.00 W, Disabled, 550.1\n");
    REQUIRE(gpus);
    CHECK(gpus->front().utilization_gpu == 87);
    CHECK(gpus->front().memory_used_mib == 1024u);
    CHECK(gpus->front().temperature_c == 61);
    CHECK(gpus->front().power_draw_w == doctest::Approx(251.37));
    CHECK(gpus->front().power_limit_w == doctest::Approx(400.0));
}

TEST_CASE("columns are found by name in any order, under nvidia-smi's aliases too") {
    auto gpus = parse_nvidia_gpu_csv(
        "memory.total [MiB], gpu_name, power.draw.instant [W], gpu_uuid, index, memory.used [MiB]\n"
        "24576, NVIDIA L4, 35.5, GPU-b, 3, 100\n"
        "24576, NVIDIA L4, 36.5, GPU-c, 4, 200\n");
    REQUIRE(gpus);
    REQUIRE(gpus->size() == 2);
    CHECK(gpus->at(1).index == 4);
    CHECK(gpus->at(1).uuid == "GPU-c");
    CHECK(gpus->at(1).name == "NVIDIA L4");
    CHECK(gpus->at(1).power_draw_w == doctest::Approx(36.5));
    CHECK(gpus->at(1).memory_used_mib == 200u);
    CHECK_FALSE(gpus->at(1).temperature_c);  // not asked for: absent, not an error
}

TEST_CASE("a GPU name containing a comma is kept whole") {
    auto gpus = parse_nvidia_gpu_csv(header + "0, GPU-a, Weird, Name, 0000:01:00.0, 5, 1, 2, 30, 10.0, 20.0, "
                                              "Disabled, 550.1\n");
    REQUIRE(gpus);
    CHECK(gpus->front().name == "Weird, Name");
    CHECK(gpus->front().pci_bus_id == "0000:01:00.0");
    CHECK(gpus->front().driver_version == "550.1");
}

TEST_CASE("nvidia-smi's error answers are remote errors quoting its line") {
    for (std::string answer : {"Field \"x\" is not a valid field to query.",
                               "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make "
                               "sure that the latest NVIDIA driver is installed and running."}) {
        auto gpus = parse_nvidia_gpu_csv(answer + "\n\n");
        REQUIRE_FALSE(gpus);
        CHECK(gpus.error().kind == ErrorKind::remote);
        CHECK(gpus.error().message == "nvidia-smi: " + answer);
        auto apps = parse_nvidia_apps_csv(answer + "\n");
        REQUIRE_FALSE(apps);
        CHECK(apps.error().message == "nvidia-smi: " + answer);
    }
    auto mid = parse_nvidia_gpu_csv(header + "Unable to determine the device handle for GPU0000:3B:00.0: Unknown Error\n");
    REQUIRE_FALSE(mid);
    CHECK(mid.error().message.find("Unable to determine the device handle") != std::string::npos);
    CHECK_FALSE(parse_nvidia_gpu_csv(""));
}

TEST_CASE("the fake's answer to an unknown field is quoted the same way") {
    std::string out = fake_nvidia_smi(captures().front(), "idle", "--query-gpu=index,bogus --format=csv");
    auto gpus = parse_nvidia_gpu_csv(out);
    REQUIRE_FALSE(gpus);
    CHECK(gpus.error().message == "nvidia-smi: Field \"bogus\" is not a valid field to query.");
}

TEST_CASE("no GPUs or no processes is an empty list, not an error") {
    CHECK(parse_nvidia_gpu_csv("No devices were found\n")->empty());
    CHECK(parse_nvidia_gpu_csv(header)->empty());
    CHECK(parse_nvidia_apps_csv("gpu_uuid, pid, used_gpu_memory [MiB], process_name\n")->empty());
    CHECK(parse_nvidia_apps_csv("No running processes found\n")->empty());
}

TEST_CASE("warnings printed before the header are skipped") {
    auto gpus = parse_nvidia_gpu_csv("WARNING: infoROM is corrupted at gpu 0000:01:00.0\n" + header +
                                     "0, GPU-a, A10, 0000:01:00.0, 1, 2, 3, 4, 5, 6, Disabled, 550.1\n");
    REQUIRE(gpus);
    CHECK(gpus->size() == 1);
}

TEST_CASE("a missing required column is named in the error") {
    auto one = parse_nvidia_gpu_csv("index, uuid, name, memory.used [MiB]\n0, GPU-a, A10, 1\n");
    REQUIRE_FALSE(one);
    CHECK(one.error().kind == ErrorKind::remote);
    CHECK(one.error().message.find("no \"memory.total\" column") != std::string::npos);
    auto two = parse_nvidia_gpu_csv("index, name, memory.used [MiB]\n0, A10, 1\n");
    REQUIRE_FALSE(two);
    CHECK(two.error().message.find("no \"uuid\", \"memory.total\" columns") != std::string::npos);
    auto apps = parse_nvidia_apps_csv("gpu_uuid, process_name\nGPU-a, python\n");
    REQUIRE_FALSE(apps);
    CHECK(apps.error().message.find("\"pid\"") != std::string::npos);
}

TEST_CASE("a row that does not fit the header, or a garbage index, is refused with the line quoted") {
    auto short_row = parse_nvidia_gpu_csv(header + "0, GPU-a, A10\n");
    REQUIRE_FALSE(short_row);
    CHECK(short_row.error().message.find("\"0, GPU-a, A10\"") != std::string::npos);
    auto bad_pid = parse_nvidia_apps_csv("gpu_uuid, pid, used_gpu_memory [MiB], process_name\nGPU-a, [N/A], 1, x\n");
    REQUIRE_FALSE(bad_pid);
    CHECK(bad_pid.error().message.find("bad pid \"[N/A]\"") != std::string::npos);
}

TEST_CASE("compute apps parse with MIG instance UUIDs, unknown memory and commas in names") {
    auto apps = parse_nvidia_apps_csv("gpu_uuid, pid, used_gpu_memory [MiB], process_name\n"
                                      "MIG-11111111-2222-3333-4444-555555555555, 4242, [N/A], python\n"
                                      "GPU-a, 77, 512, /opt/app, v2/run\n");
    REQUIRE(apps);
    REQUIRE(apps->size() == 2);
    CHECK(apps->at(0).gpu_uuid == "MIG-11111111-2222-3333-4444-555555555555");
    CHECK_FALSE(apps->at(0).used_memory_mib);
    CHECK(apps->at(1).process_name == "/opt/app, v2/run");
    CHECK(apps->at(1).used_memory_mib == 512u);
}

TEST_CASE("processes replaced through the fake's override file parse, as does the override file itself") {
    const std::string override_csv = "gpu_uuid,pid,process_name,used_gpu_memory [MiB]\n"
                                     "GPU-00000000-0000-0000-0000-000000000000,31337,python3,2048\n"
                                     "GPU-00000000-0000-0000-0000-000000000000,31338,/usr/bin/ollama,\n";
    auto direct = parse_nvidia_apps_csv(override_csv);
    REQUIRE(direct);
    REQUIRE(direct->size() == 2);
    CHECK(direct->at(0).pid == 31337);
    CHECK(direct->at(0).used_memory_mib == 2048u);
    CHECK_FALSE(direct->at(1).used_memory_mib);
    std::string out = fake_nvidia_smi(captures().front(), "load", args_of(nvidia_apps_query_command()), override_csv);
    auto apps = parse_nvidia_apps_csv(out);
    REQUIRE(apps);
    REQUIRE(apps->size() == 2);
    CHECK(apps->at(0).gpu_uuid == "GPU-00000000-0000-0000-0000-000000000000");
    CHECK(apps->at(0).pid == 31337);
    CHECK(apps->at(0).process_name == "python3");
    CHECK(apps->at(0).used_memory_mib == 2048u);
    CHECK(apps->at(1).process_name == "/usr/bin/ollama");
    CHECK_FALSE(apps->at(1).used_memory_mib);
}

TEST_SUITE_END();
