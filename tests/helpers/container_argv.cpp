// Test-only: lets the integration tests run lib/runtime's container argv and
// parsers against real podman on the test cluster without a user-facing command.
//   container_argv run RUNTIME      stdin: a spec as JSON → stdout: the run argv (JSON array)
//   container_argv list RUNTIME     → the listing argv (JSON array)
//   container_argv storage-probe RUNTIME   → the storage driver probe's argv (JSON array)
//   container_argv parse-storage RUNTIME   stdin: the probe's output → true|false
//   container_argv parse-list RUNTIME   stdin: the listing's output → rows (JSON), or the error on stderr, exit 1
// Spec keys: name, owner, image, gpus (NVIDIA UUIDs), cpus_milli, memory_bytes, storage_bytes,
// storage_quota (bool), ports [[host, container, proto]], env [[k, v]], volumes [[src, dst, ro]],
// labels [[k, v]], command [..].
#include <iostream>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/container.hpp"
#include "runtime/container_list.hpp"

using nlohmann::json;

namespace {

cc::ContainerSpec spec_from(const json& in) {
    cc::ContainerSpec spec;
    spec.name = in.value("name", "");
    spec.owner = in.value("owner", "");
    spec.image = in.value("image", "");
    for (const auto& uuid : in.value("gpus", json::array())) spec.gpus.push_back({cc::GpuVendor::nvidia, uuid, "", ""});
    spec.cpus_milli = in.value("cpus_milli", 0ull);
    spec.memory_bytes = in.value("memory_bytes", 0ull);
    spec.storage_bytes = in.value("storage_bytes", 0ull);
    for (const auto& p : in.value("ports", json::array())) spec.ports.push_back({p[0].get<std::uint16_t>(), p[1].get<std::uint16_t>(), p[2]});
    for (const auto& kv : in.value("env", json::array())) spec.env.push_back({kv[0], kv[1]});
    for (const auto& kv : in.value("labels", json::array())) spec.labels.push_back({kv[0], kv[1]});
    for (const auto& v : in.value("volumes", json::array())) spec.volumes.push_back({v[0], v[1], v[2].get<bool>()});
    spec.command = in.value("command", std::vector<std::string>{});
    return spec;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: container_argv run|list|parse-list|storage-probe|parse-storage podman|docker\n";
        return 2;
    }
    const std::string mode = argv[1];
    auto kind = cc::runtime_kind(argv[2]);
    if (!kind) {
        std::cerr << kind.error().message << "\n";
        return 2;
    }
    if (mode == "storage-probe") {
        std::cout << json(cc::storage_probe_argv(*kind)).dump() << "\n";
        return 0;
    }
    if (mode == "list") {
        std::cout << json(cc::container_list_argv(*kind)).dump() << "\n";
        return 0;
    }
    std::string input(std::istreambuf_iterator<char>(std::cin), {});
    if (mode == "run") {
        json in = json::parse(input);
        auto run = cc::run_argv(*kind, spec_from(in), in.value("storage_quota", false));
        if (!run) {
            std::cerr << run.error().message << "\n";
            return 1;
        }
        const char* storage[] = {"not_asked", "enforced", "not_enforced"};
        std::cout << json{{"argv", run->argv}, {"storage", storage[static_cast<int>(run->storage)]}}.dump() << "\n";
        return 0;
    }
    if (mode == "parse-storage") {
        auto can = cc::parse_storage_quota(*kind, input);
        if (!can) {
            std::cerr << can.error().message << "\n";
            return 1;
        }
        std::cout << (*can ? "true" : "false") << "\n";
        return 0;
    }
    if (mode == "parse-list") {
        auto rows = cc::parse_container_list(*kind, input);
        if (!rows) {
            std::cerr << rows.error().message << "\n";
            return 1;
        }
        json out = json::array();
        for (const auto& row : *rows)
            out.push_back({{"id", row.id}, {"name", row.name}, {"instance", row.instance}, {"owner", row.owner},
                           {"state", row.state}, {"started_at", row.started_at ? json(*row.started_at) : json()}});
        std::cout << out.dump() << "\n";
        return 0;
    }
    std::cerr << "unknown mode " << mode << "\n";
    return 2;
}
