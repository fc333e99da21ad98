#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "gpu/gpu_query.hpp"

using namespace cc;

namespace {

std::string fixture(const std::string& name) {
    std::ifstream in(std::string(CLUSTERCTL_FIXTURES_DIR) + "/rocm-smi/" + name);
    REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

TEST_SUITE_BEGIN("gpu rocm-smi");

TEST_CASE("the rocm-smi command asks for every value we read, as JSON") {
    CHECK(rocm_smi_query_command() ==
          "rocm-smi --showid --showproductname --showuse --showmemuse --showmeminfo vram --showtemp --showpower "
          "--showmaxpower --showdriverversion --showuniqueid --showbus --json");
}

TEST_CASE("ROCm 6 output of an MI300X node parses: socket power, junction temperature, VRAM in MiB") {
    auto gpus = parse_rocm_smi_json(fixture("instinct-mi300x__rocm-6.2.json"));
    REQUIRE(gpus);
    REQUIRE(gpus->size() == 2);
    const GpuSample& busy = gpus->at(0);
    CHECK(busy.index == 0);
    CHECK(busy.name == "AMD Instinct MI300X");
    CHECK(busy.uuid == "0x18f68e602b8a790f");
    CHECK(busy.pci_bus_id == "0000:0C:00.0");
    CHECK(busy.utilization_gpu == 100);
    CHECK(busy.memory_used_mib == 82104u);
    CHECK(busy.memory_total_mib == 196288u);
    CHECK(busy.temperature_c == 61);  // edge is "N/A" on MI300: junction stands in
    CHECK(busy.power_draw_w == doctest::Approx(642.0));
    CHECK(busy.power_limit_w == doctest::Approx(750.0));
    CHECK(busy.mig_mode.empty());
    CHECK(busy.driver_version == "6.7.0");
    const GpuSample& idle = gpus->at(1);
    CHECK(idle.index == 1);
    CHECK(idle.utilization_gpu == 0);
    CHECK(idle.memory_used_mib == 281u);
    CHECK(idle.driver_version == "6.7.0");
}

TEST_CASE("ROCm 5 output of an MI250X parses its older key spellings, the secondary die without power") {
    auto gpus = parse_rocm_smi_json(fixture("instinct-mi250x__rocm-5.7.json"));
    REQUIRE(gpus);
    REQUIRE(gpus->size() == 2);
    CHECK(gpus->at(0).name == "AMD INSTINCT MI250X");  // "Card series"
    CHECK(gpus->at(0).temperature_c == 44);            // edge
    CHECK(gpus->at(0).power_draw_w == doctest::Approx(216.0));
    CHECK(gpus->at(0).power_limit_w == doctest::Approx(560.0));
    CHECK(gpus->at(0).memory_total_mib == 65520u);
    CHECK(gpus->at(0).memory_used_mib == 21504u);
    CHECK(gpus->at(0).utilization_gpu == 87);
    CHECK(gpus->at(0).driver_version == "6.2.4");
    CHECK(gpus->at(1).pci_bus_id == "0000:C6:00.0");
    CHECK_FALSE(gpus->at(1).power_draw_w);  // "Secondary die"
    CHECK(gpus->at(1).power_limit_w == doctest::Approx(560.0));
}

TEST_CASE("cards come in index order, whatever the JSON order, past card9") {
    auto gpus = parse_rocm_smi_json(R"json({"card10": {"GPU use (%)": "1"}, "card2": {"GPU use (%)": "2"},
                                        "system": {"Driver version": "6.8.0"}})json");
    REQUIRE(gpus);
    REQUIRE(gpus->size() == 2);
    CHECK(gpus->at(0).index == 2);
    CHECK(gpus->at(1).index == 10);
    CHECK(gpus->at(1).utilization_gpu == 1);
}

TEST_CASE("a consumer Radeon with N/A values and a secondary-die power note parses") {
    auto gpus = parse_rocm_smi_json(R"json({"card0": {"Device Name": "Navi 31 [Radeon RX 7900 XT/7900 XTX]",
        "Card Series": "Radeon RX 7900 XT", "Unique ID": "N/A", "GPU use (%)": "N/A",
        "Temperature (Sensor edge) (C)": "38.0", "Average Graphics Package Power (W)": "N/A (Secondary die)",
        "Max Graphics Package Power (W)": "N/A", "VRAM Total Memory (B)": "21458059264",
        "VRAM Total Used Memory (B)": "27856896"}})json");
    REQUIRE(gpus);
    const GpuSample& g = gpus->front();
    CHECK(g.name == "Radeon RX 7900 XT");
    CHECK(g.uuid.empty());
    CHECK_FALSE(g.utilization_gpu);
    CHECK(g.temperature_c == 38);
    CHECK_FALSE(g.power_draw_w);
    CHECK_FALSE(g.power_limit_w);
    CHECK(g.memory_total_mib == 20464u);
    CHECK(g.memory_used_mib == 26u);
    CHECK(g.driver_version.empty());  // no "system" section
}

TEST_CASE("a card whose Card Series is N/A falls back to its device name") {
    auto gpus = parse_rocm_smi_json(R"json({"card0": {"Card Series": "N/A", "Device Name": "Aldebaran/MI200 [Instinct MI210]"}})json");
    REQUIRE(gpus);
    CHECK(gpus->front().name == "Aldebaran/MI200 [Instinct MI210]");
}

TEST_CASE("warnings before the JSON are skipped") {
    auto gpus = parse_rocm_smi_json(
        "WARNING: AMD GPU device(s) is/are in a low-power state. Check power control/runtime_status\n\n" +
        fixture("instinct-mi300x__rocm-6.2.json"));
    REQUIRE(gpus);
    CHECK(gpus->size() == 2);
}

TEST_CASE("no cards is an empty list") {
    CHECK(parse_rocm_smi_json("{}\n")->empty());
    CHECK(parse_rocm_smi_json(R"json({"system": {"Driver version": "6.7.0"}})json")->empty());
}

TEST_CASE("rocm-smi answers that are not JSON are remote errors quoting the first line") {
    auto driver = parse_rocm_smi_json("ERROR:root:Driver not initialized (amdgpu not found in modules)\nexiting\n");
    REQUIRE_FALSE(driver);
    CHECK(driver.error().kind == ErrorKind::remote);
    CHECK(driver.error().message == "rocm-smi: ERROR:root:Driver not initialized (amdgpu not found in modules)");
    auto truncated = parse_rocm_smi_json(R"json({"card0": {"GPU use (%)": )json");
    REQUIRE_FALSE(truncated);
    CHECK(truncated.error().message.find("malformed JSON") != std::string::npos);
    auto empty = parse_rocm_smi_json("\n");
    REQUIRE_FALSE(empty);
    CHECK(empty.error().message == "rocm-smi printed nothing");
}

TEST_SUITE_END();
