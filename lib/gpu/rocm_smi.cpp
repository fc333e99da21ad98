#include <algorithm>
#include <array>
#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gpu/gpu_query.hpp"
#include "gpu/smi_value.hpp"

namespace cc {

namespace {

// rocm-smi --json prints {"card0": {"<label>": "<value>", ...}, "system": {...}}
// where labels are its human-readable log lines, so they change between
// releases. Each field lists its spellings, newest first; the first one with
// a value wins (MI300 prints "Temperature (Sensor edge) (C)": "N/A" and
// reports junction only). A setter returns whether it found a value.
struct Field {
    std::array<std::string_view, 3> keys;
    bool (*set)(GpuSample&, std::string_view);
};

constexpr std::uint64_t bytes_per_mib = 1024 * 1024;

const Field fields[] = {
    // "Card series" before ROCm 6.1; "Device Name" (--showid) is the same name.
    {{"Card Series", "Card series", "Device Name"},
     [](GpuSample& g, std::string_view v) { g.name = smi::text(v); return !g.name.empty(); }},
    {{"Unique ID"}, [](GpuSample& g, std::string_view v) { g.uuid = smi::text(v); return !g.uuid.empty(); }},
    {{"PCI Bus"}, [](GpuSample& g, std::string_view v) { g.pci_bus_id = smi::text(v); return !g.pci_bus_id.empty(); }},
    {{"GPU use (%)"}, [](GpuSample& g, std::string_view v) {
         g.utilization_gpu = smi::whole(v);
         if (g.utilization_gpu && *g.utilization_gpu < 0) g.utilization_gpu.reset();  // -1: the library could not read it
         return g.utilization_gpu.has_value();
     }},
    {{"VRAM Total Used Memory (B)"}, [](GpuSample& g, std::string_view v) {
         auto bytes = smi::count(v);
         if (bytes) g.memory_used_mib = *bytes / bytes_per_mib;
         return bytes.has_value();
     }},
    {{"VRAM Total Memory (B)"}, [](GpuSample& g, std::string_view v) {
         auto bytes = smi::count(v);
         if (bytes) g.memory_total_mib = *bytes / bytes_per_mib;
         return bytes.has_value();
     }},
    // edge is what nvidia-smi's temperature.gpu corresponds to; junction is
    // the hot spot, the only sensor MI300 exposes.
    {{"Temperature (Sensor edge) (C)", "Temperature (Sensor junction) (C)"},
     [](GpuSample& g, std::string_view v) { return (g.temperature_c = smi::whole(v)).has_value(); }},
    // "Current Socket" on MI300 (ROCm 6), "Average" before; a secondary die
    // of an MI250X says "N/A (Secondary die)" (ROCm 6) or "Secondary die".
    {{"Average Graphics Package Power (W)", "Current Socket Graphics Package Power (W)"},
     [](GpuSample& g, std::string_view v) { return (g.power_draw_w = smi::number(v)).has_value(); }},
    {{"Max Graphics Package Power (W)"},
     [](GpuSample& g, std::string_view v) { return (g.power_limit_w = smi::number(v)).has_value(); }},
};

// Values are strings in every release seen; a number is read the same way.
std::string value_text(const nlohmann::json& value) {
    if (value.is_string()) return value.get<std::string>();
    if (value.is_number()) return value.dump();
    return {};
}

std::optional<int> card_index(std::string_view key) {
    if (!key.starts_with("card") || key.size() == 4) return std::nullopt;
    int index = 0;
    auto [end, ec] = std::from_chars(key.data() + 4, key.data() + key.size(), index);
    if (ec != std::errc() || end != key.data() + key.size()) return std::nullopt;
    return index;
}

}  // namespace

std::string rocm_smi_query_command() {
    return "rocm-smi --showid --showproductname --showuse --showmemuse --showmeminfo vram --showtemp --showpower "
           "--showmaxpower --showdriverversion --showuniqueid --showbus --json";
}

Result<std::vector<GpuSample>> parse_rocm_smi_json(std::string_view output) {
    // rocm-smi may print warnings (e.g. GPUs in a low-power state) before the
    // JSON, which it prints as one line; without JSON, the first line is its answer.
    std::string_view first_line, json;
    for (std::string_view rest = output; !rest.empty() && json.empty();) {
        std::size_t eol = rest.find('\n');
        std::string_view line = smi::trim(rest.substr(0, eol));
        if (first_line.empty()) first_line = line;
        if (line.starts_with('{')) json = smi::trim(rest);
        rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
    }
    if (first_line.empty()) return fail(ErrorKind::remote, "rocm-smi printed nothing");
    if (json.empty()) return fail(ErrorKind::remote, fmt::format("rocm-smi: {}", first_line));

    nlohmann::json doc = nlohmann::json::parse(json, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        return fail(ErrorKind::remote, fmt::format("rocm-smi printed malformed JSON: \"{}\"", first_line.substr(0, 120)));

    std::string driver;
    if (auto system = doc.find("system"); system != doc.end() && system->is_object())
        if (auto version = system->find("Driver version"); version != system->end())
            driver = smi::text(value_text(*version));

    std::vector<GpuSample> gpus;
    for (const auto& [key, card] : doc.items()) {
        auto index = card_index(key);
        if (!index || !card.is_object()) continue;
        GpuSample gpu;
        gpu.index = *index;
        gpu.driver_version = driver;
        for (const Field& field : fields)
            for (std::string_view name : field.keys) {
                if (name.empty()) break;
                auto value = card.find(std::string(name));
                if (value != card.end() && field.set(gpu, value_text(*value))) break;
            }
        gpus.push_back(std::move(gpu));
    }
    std::ranges::sort(gpus, {}, &GpuSample::index);
    return gpus;
}

}  // namespace cc
