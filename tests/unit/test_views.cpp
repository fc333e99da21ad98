// The column lists every output is rendered from: table layout, and the JSON
// shapes of man/clusterctl.1 with null for missing values.
#include <doctest/doctest.h>

#include "sample_node.hpp"
#include "views/gpu_view.hpp"
#include "views/key_view.hpp"
#include "views/node_view.hpp"
#include "views/table.hpp"

using namespace cc;

namespace {

struct Pet {
    std::string name;
    std::string note;
    int legs = 4;
};

const std::vector<Column<Pet>>& pet_columns() {
    static const std::vector<Column<Pet>> columns = {
        {.header = "NAME", .json_key = "name", .value = [](const Pet& p) { return p.name; }},
        {.header = "LEGS", .json_key = "legs", .value = [](const Pet& p) { return p.legs; }, .wide_only = true},
        {.header = "NOTE", .json_key = "note", .value = [](const Pet& p) { return or_null(p.note); }},
    };
    return columns;
}

std::vector<std::string> lines(const std::vector<Pet>& pets, bool wide, bool headers = true) {
    auto plain = [](const std::string& text, Style) { return text; };
    return table_lines(make_table(pets, pet_columns(), wide), headers, plain);
}

}  // namespace

TEST_CASE("a table pads each column to its widest cell, two spaces apart") {
    auto out = lines({{"cat", "purrs"}, {"elephant", "big"}}, false);
    REQUIRE(out.size() == 3);
    CHECK(out[0] == "NAME      NOTE");
    CHECK(out[1] == "cat       purrs");
    CHECK(out[2] == "elephant  big");
}

TEST_CASE("widths count UTF-8 characters, not bytes") {
    auto out = lines({{"Grüße", "x"}, {"ab", "y"}}, false);
    CHECK(out[1] == "Grüße  x");
    CHECK(out[2] == "ab     y");
}

TEST_CASE("wide output adds the wide-only columns in their place") {
    auto out = lines({{"cat", "purrs", 4}}, true);
    CHECK(out[0] == "NAME  LEGS  NOTE");
    CHECK(out[1] == "cat   4     purrs");
}

TEST_CASE("a missing value is a dash in a table and null in JSON") {
    Pet pet{"fish", "", 0};
    CHECK(lines({pet}, false)[1] == "fish  -");
    auto json = json_object(pet, pet_columns());
    CHECK(json["note"].is_null());
    CHECK(json["legs"] == 0);
    CHECK(json["name"] == "fish");
}

TEST_CASE("without headers a table is only its rows, as wide as its own cells") {
    auto out = lines({{"cat", "purrs"}, {"dog", "barks"}}, false, false);
    REQUIRE(out.size() == 2);
    CHECK(out[0] == "cat  purrs");
    CHECK(out[1] == "dog  barks");
}

TEST_CASE("no line of a table ends in spaces, even when its last cells are empty") {
    std::vector<Column<Pet>> columns = {
        {.header = "NAME", .value = [](const Pet& p) { return p.name; }},
        {.header = "NOTE", .text = [](const Pet& p) { return p.note; }},
    };
    auto plain = [](const std::string& text, Style) { return text; };
    for (const auto& line : table_lines(make_table<Pet>({{"cat", ""}, {"elephant", "big"}}, columns, false), true, plain))
        CHECK(line.find_last_not_of(' ') == line.size() - 1);
}

TEST_CASE("hostile cell text is escaped before it is padded and painted") {
    auto out = table_lines(make_table<Pet>({{"\x1b[2Jx\ny", "ok"}}, pet_columns(), false), true,
                           [](const std::string& text, Style) { return "<" + text + ">"; });
    CHECK(out[1] == "<\\e[2Jx\\ny>  <ok>");
    CHECK(out[0] == "<NAME>       <NOTE>");
}

TEST_CASE("node JSON keeps its documented keys; a missing identity and unknown facts are null") {
    Node node = sample_node("n1");
    auto json = node_json(node);
    for (const char* key : {"name", "host", "port", "user", "identity", "labels", "groups", "host_key", "created_at", "cordoned",
                            "facts"})
        CHECK_MESSAGE(json.contains(key), key);
    CHECK(json.size() == 11);
    CHECK(json["cordoned"] == false);
    CHECK(json["identity"].is_null());
    CHECK(json["facts"].is_null());
    CHECK(json["host_key"]["fingerprint"] == "SHA256:host-n1");

    node.facts = Facts{};
    node.facts->hostname = "n1";
    auto facts = node_json(node)["facts"];
    CHECK(facts["hostname"] == "n1");
    CHECK(facts["gpu_driver"].is_null());
    CHECK(facts["gpus"].is_array());
}

TEST_CASE("a node row shows its facts, wide adds port and user") {
    Node node = sample_node("n1");
    auto plain = [](const std::string& text, Style) { return text; };
    auto narrow = table_lines(make_table<Node>({node}, node_columns(), false), true, plain);
    auto wide = table_lines(make_table<Node>({node}, node_columns(), true), true, plain);
    CHECK(narrow[0] == "NAME  HOST      GPUS  RUNTIME  OS  LABELS  CORDONED");
    CHECK(narrow[1] == "n1    10.0.0.1  0     -        -   -       -");
    CHECK(wide[0].find("PORT  USER") != std::string::npos);
    CHECK(wide[0].find("HOST_KEY") != std::string::npos);
}

TEST_CASE("gpu status JSON nests GPUs under their node and their processes under the GPU, without repeating either") {
    NodeResult<GpuNode> node;
    node.node = "gpu1";
    node.status = NodeStatus::ok;
    node.value.state = NodeGpuState::ok;
    node.value.vendor = "nvidia";
    GpuView gpu;
    gpu.sample.index = 0;
    gpu.sample.uuid = "GPU-1";
    GpuProcess process;
    process.pid = 42;
    process.process_name = "python3";
    process.user = "root";
    gpu.processes.push_back(process);
    node.value.gpus.push_back(gpu);
    std::vector<NodeResult<GpuNode>> nodes = {node};

    auto json = json_array(nodes, gpu_node_fields());
    CHECK(json[0]["error"].is_null());
    auto g = json[0]["gpus"][0];
    CHECK_FALSE(g.contains("node"));
    CHECK(g["mig_mode"].is_null());
    CHECK(g["holder"].is_null());
    CHECK(g["utilization_gpu"].is_null());
    auto p = g["processes"][0];
    CHECK(p.size() == 9);
    CHECK_FALSE(p.contains("gpu_uuid"));
    CHECK(p["container_id"].is_null());

    auto ps = json_array(process_rows(nodes), process_columns());
    CHECK(ps[0]["gpu_uuid"] == "GPU-1");
    CHECK(ps[0]["node"] == "gpu1");
    CHECK(ps[0].size() == 12);

    auto free = json_array(gpu_rows(nodes), free_gpu_columns());
    CHECK(free[0].size() == 6);
    CHECK(free[0]["node"] == "gpu1");
}

TEST_CASE("key JSON says null for a missing owner, comment and options") {
    KeyDetails key;
    key.key.name = "k";
    key.key.type = "ssh-ed25519";
    key.key.base64 = "AAAA";
    key.key.fingerprint = "SHA256:x";
    KeyPlacement placement;
    placement.node = "n1";
    placement.remote_user = "root";
    placement.pushed_at = "t";
    key.placements.push_back(placement);
    auto json = key_json(key);
    CHECK(json["owner"].is_null());
    CHECK(json["comment"].is_null());
    CHECK(json["public_key"] == "ssh-ed25519 AAAA");
    CHECK(json["placements"][0]["options"].is_null());
    CHECK(json.size() == 8);
}
