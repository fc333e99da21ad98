#include <doctest/doctest.h>

#include "facts/facts.hpp"
#include "gpu/gpu_query.hpp"
#include "sectioned_output.hpp"

using namespace cc;

namespace {

const std::string gpus_csv =
    "index, uuid, name, pci.bus_id, utilization.gpu [%], memory.used [MiB], memory.total [MiB], temperature.gpu, "
    "power.draw [W], power.limit [W], mig.mode.current, driver_version\n"
    "0, GPU-11111111-2222-3333-4444-555555555555, NVIDIA H100 80GB HBM3, 00000000:00:09.0, 97, 19818, 81559, 59, "
    "631.95, 700.00, Disabled, 590.48.01\n"
    "1, GPU-66666666-2222-3333-4444-555555555555, NVIDIA H100 80GB HBM3, 00000000:00:0A.0, 3, 12, 81559, 41, 69.85, "
    "700.00, Disabled, 590.48.01\n";

Result<Facts> parse(const std::vector<std::pair<std::string, std::string>>& sections) {
    return parse_facts(sectioned(sections), kTestNonce);
}

}  // namespace

TEST_CASE("facts output with GPUs is parsed into typed fields, GPUs by lib/gpu's nvidia-smi parser") {
    auto facts = parse({{"hostname", "gpu01"}, {"os", "Debian GNU/Linux 12 (bookworm)"}, {"kernel", "6.1.0-18-amd64"},
                        {"arch", "x86_64"}, {"cpus", "64"}, {"memory_kib", "1056000000"}, {"disk_total_kib", "1000000"},
                        {"disk_free_kib", "500000"}, {"runtime", "podman"}, {"runtime_version", "4.3.1"},
                        {"vendor", "nvidia"}, {"gpus", gpus_csv}, {"gpus_rc", "0"}});
    REQUIRE(facts);
    CHECK(facts->hostname == "gpu01");
    CHECK(facts->cpus == 64);
    CHECK(facts->memory_bytes == 1056000000ull * 1024);
    CHECK(facts->disk_free_bytes == 500000ull * 1024);
    CHECK(facts->runtime == "podman");
    CHECK(facts->nvidia_smi);
    REQUIRE(facts->gpus.size() == 2);
    CHECK(facts->gpus[1].index == 1);
    CHECK(facts->gpus[0].name == "NVIDIA H100 80GB HBM3");
    CHECK(facts->gpus[0].memory_total_mib == 81559);
    CHECK(facts->gpu_driver == "590.48.01");
    CHECK(facts->gpu_error.empty());
}

TEST_CASE("a fact's value keeps tabs and the bytes of a hostile motd around the sections do not count") {
    std::string out = "Welcome\n@@not-our-nonce hostname\nevil\n" +
                      sectioned({{"hostname", "n1"}, {"os", "Weird\tOS"}, {"vendor", "none"}});
    auto facts = parse_facts(out, kTestNonce);
    REQUIRE(facts);
    CHECK(facts->hostname == "n1");
    CHECK(facts->os == "Weird\tOS");
    CHECK_FALSE(facts->nvidia_smi);
    CHECK(facts->gpus.empty());
}

TEST_CASE("output without sections or without a hostname is an error") {
    auto bad = parse_facts("motd only\n", kTestNonce);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().kind == ErrorKind::remote);
    CHECK(bad.error().message.find("POSIX") != std::string::npos);
    CHECK_FALSE(parse({{"os", "x"}, {"vendor", "none"}}));
}

TEST_CASE("nvidia-smi output that is not our CSV is the node's GPU error, with the line quoted") {
    auto facts = parse({{"hostname", "h"}, {"vendor", "nvidia"}, {"gpus", "Unable to determine the device handle\n"},
                        {"gpus_rc", "0"}});
    REQUIRE(facts);
    CHECK(facts->nvidia_smi);
    CHECK(facts->gpus.empty());
    CHECK(facts->gpu_error.find("Unable to determine the device handle") != std::string::npos);
}

TEST_CASE("a failing nvidia-smi is the node's GPU error, from its first line") {
    auto facts = parse({{"hostname", "h"}, {"vendor", "nvidia"},
                        {"gpus", "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.\nMore\n"},
                        {"gpus_rc", "9"}});
    REQUIRE(facts);
    CHECK(facts->gpu_error == "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.");
}

TEST_CASE("facts survive a JSON round trip") {
    Facts f;
    f.hostname = "n";
    f.gpus = {{0, "GPU-x", "A100", 40960}};
    f.gpu_driver = "550";
    Facts back = nlohmann::json(f).get<Facts>();
    CHECK(back.hostname == "n");
    CHECK(back.gpus.size() == 1);
    CHECK(back.gpus[0].memory_total_mib == 40960);
}

TEST_CASE("the facts script is one POSIX sh command that only adds the runtime probe for checks") {
    CHECK(facts_script(false, kTestNonce).find("$rt info") == std::string::npos);
    CHECK(facts_script(true, kTestNonce).find("$rt info") != std::string::npos);
    CHECK(facts_script(true, kTestNonce).find(nvidia_gpu_query_command()) != std::string::npos);
    CHECK(facts_script(true, kTestNonce).find("timeout 20") == std::string::npos);  // the caller's deadline, not ours
}
