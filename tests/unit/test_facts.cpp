#include <doctest/doctest.h>

#include "facts/facts.hpp"

using namespace cc;

TEST_CASE("facts output with GPUs is parsed into typed fields") {
    auto facts = parse_facts(
        "hostname\tgpu01\nos\tDebian GNU/Linux 12 (bookworm)\nkernel\t6.1.0-18-amd64\narch\tx86_64\ncpus\t64\n"
        "memory_kib\t1056000000\ndisk_total_kib\t1000000\ndisk_free_kib\t500000\nruntime\tpodman\n"
        "runtime_version\t4.3.1\nnvidia_smi\t1\n"
        "gpu\t0, GPU-11111111-2222-3333-4444-555555555555, NVIDIA H100 80GB HBM3, 81559, 590.48.01\n"
        "gpu\t1, GPU-66666666-2222-3333-4444-555555555555, NVIDIA H100 80GB HBM3, 81559, 590.48.01\n");
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
}

TEST_CASE("a GPU name containing a comma keeps it") {
    auto facts = parse_facts("hostname\th\ngpu\t0, GPU-1, Weird, Name, 1024, 550.1\n");
    REQUIRE(facts);
    CHECK(facts->gpus[0].name == "Weird, Name");
    CHECK(facts->gpus[0].memory_total_mib == 1024);
}

TEST_CASE("lines printed by login scripts are ignored, a missing hostname is an error") {
    CHECK(parse_facts("Welcome to node\nhostname\tn1\n")->hostname == "n1");
    auto bad = parse_facts("motd only\n");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().kind == ErrorKind::remote);
}

TEST_CASE("a short nvidia-smi line is refused with the line quoted") {
    auto bad = parse_facts("hostname\th\ngpu\tNo devices were found\n");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("No devices were found") != std::string::npos);
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
    CHECK(facts_script(false).find("$rt info") == std::string::npos);
    CHECK(facts_script(true).find("$rt info") != std::string::npos);
    CHECK(facts_script(true).find("nvidia-smi --query-gpu=") != std::string::npos);
}
