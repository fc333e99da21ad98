#include <algorithm>
#include <array>
#include <cstddef>
#include <span>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "gpu/gpu_query.hpp"
#include "gpu/smi_value.hpp"

namespace cc {

namespace {

// One row per field: the first name is the one we query, the others are what
// nvidia-smi may print instead (its --help-query-* lists `"x" or "y"` aliases
// and prints the canonical name in the header whatever was asked for) or what
// another producer of the same CSV asked for. A setter returns false when a
// value it cannot do without is garbage.
template <class Row>
struct Column {
    std::array<std::string_view, 5> names;
    bool required;
    bool free_text;  // may itself contain ", " (product and process names)
    bool (*set)(Row&, std::string_view);
};

const Column<GpuSample> gpu_columns[] = {
    {{"index"}, true, false, [](GpuSample& g, std::string_view v) {
         auto i = smi::whole(v);
         g.index = i.value_or(0);
         return i.has_value();
     }},
    {{"uuid", "gpu_uuid"}, true, false, [](GpuSample& g, std::string_view v) { g.uuid = smi::text(v); return true; }},
    {{"name", "gpu_name"}, true, true, [](GpuSample& g, std::string_view v) { g.name = smi::text(v); return true; }},
    {{"pci.bus_id", "gpu_bus_id"}, false, false,
     [](GpuSample& g, std::string_view v) { g.pci_bus_id = smi::text(v); return true; }},
    {{"utilization.gpu"}, false, false,
     [](GpuSample& g, std::string_view v) { g.utilization_gpu = smi::whole(v); return true; }},
    {{"memory.used"}, true, false,
     [](GpuSample& g, std::string_view v) { g.memory_used_mib = smi::count(v); return true; }},
    {{"memory.total"}, true, false,
     [](GpuSample& g, std::string_view v) { g.memory_total_mib = smi::count(v); return true; }},
    {{"temperature.gpu"}, false, false,
     [](GpuSample& g, std::string_view v) { g.temperature_c = smi::whole(v); return true; }},
    // power.draw is the 1 s average on Ampere and newer; the split fields are
    // the fallback for output that only carries those.
    {{"power.draw", "power.draw.average", "gpu.power.draw.average", "power.draw.instant", "gpu.power.draw.instant"},
     false, false, [](GpuSample& g, std::string_view v) { g.power_draw_w = smi::number(v); return true; }},
    {{"power.limit", "gpu.power.requested_limit", "enforced.power.limit", "gpu.power.current_limit"}, false, false,
     [](GpuSample& g, std::string_view v) { g.power_limit_w = smi::number(v); return true; }},
    {{"mig.mode.current"}, false, false,
     [](GpuSample& g, std::string_view v) { g.mig_mode = smi::text(v); return true; }},
    {{"driver_version"}, false, false,
     [](GpuSample& g, std::string_view v) { g.driver_version = smi::text(v); return true; }},
};

const Column<GpuProcessSample> app_columns[] = {
    {{"gpu_uuid"}, true, false,
     [](GpuProcessSample& p, std::string_view v) { p.gpu_uuid = smi::text(v); return true; }},
    {{"pid"}, true, false, [](GpuProcessSample& p, std::string_view v) {
         auto pid = smi::whole(v);
         p.pid = pid.value_or(0);
         return pid.has_value();
     }},
    {{"used_memory", "used_gpu_memory"}, false, false,
     [](GpuProcessSample& p, std::string_view v) { p.used_memory_mib = smi::count(v); return true; }},
    {{"process_name", "name"}, false, true,
     [](GpuProcessSample& p, std::string_view v) { p.process_name = smi::text(v); return true; }},
};

template <class Row>
std::string query_command(std::string_view query, std::span<const Column<Row>> columns) {
    std::string fields;
    // Appended in place: GCC 12 at -O3 (Release) reports a false -Wrestrict for "x" + std::string.
    for (const auto& column : columns) {
        if (!fields.empty()) fields += ',';
        fields += column.names[0];
    }
    return fmt::format("nvidia-smi --{}={} --format=csv,nounits", query, fields);
}

std::vector<std::string_view> split(std::string_view line, std::string_view separator) {
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    for (std::size_t pos; (pos = line.find(separator, start)) != std::string_view::npos; start = pos + separator.size())
        fields.push_back(line.substr(start, pos - start));
    fields.push_back(line.substr(start));
    return fields;
}

// "memory.used [MiB]" -> "memory.used": the header keeps units even with nounits.
std::string_view field_name(std::string_view header) {
    header = smi::trim(header);
    std::size_t bracket = header.rfind(" [");
    if (bracket != std::string_view::npos && header.ends_with(']')) header = smi::trim(header.substr(0, bracket));
    return header;
}

std::vector<std::string_view> nonblank_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    for (std::string_view line : split(text, "\n"))
        if (!smi::trim(line).empty()) lines.push_back(smi::trim(line));
    return lines;
}

// What nvidia-smi prints instead of CSV when there is nothing to list.
bool nothing_to_list(std::string_view line) {
    return line == "No devices were found" || line == "No running processes found";
}

// Where each column is in a header line (-1: absent); the first of its names found wins.
template <class Row>
std::vector<int> column_positions(const std::vector<std::string_view>& header, std::span<const Column<Row>> columns) {
    std::vector<int> position(columns.size(), -1);
    for (std::size_t c = 0; c < columns.size(); ++c)
        for (std::string_view name : columns[c].names) {
            if (name.empty()) break;
            auto found = std::ranges::find(header, name, field_name);
            if (found != header.end()) {
                position[c] = static_cast<int>(found - header.begin());
                break;
            }
        }
    return position;
}

template <class Row>
Result<std::vector<Row>> parse_table(std::string_view output, std::string_view query,
                                     std::span<const Column<Row>> columns) {
    std::vector<std::string_view> lines = nonblank_lines(output);
    if (lines.empty()) return fail(ErrorKind::remote, fmt::format("nvidia-smi --{} printed nothing", query));

    // Lines before the header are warnings nvidia-smi prints on stdout
    // (e.g. a corrupted infoROM); without a header they are its answer.
    std::vector<int> position;
    std::size_t header = 0;
    std::string_view separator;
    for (; header < lines.size(); ++header) {
        if (nothing_to_list(lines[header])) return std::vector<Row>{};
        // nvidia-smi separates with ", "; a hand-written CSV may use ",".
        separator = lines[header].find(", ") != std::string_view::npos ? ", " : ",";
        position = column_positions(split(lines[header], separator), columns);
        if (std::ranges::any_of(position, [](int p) { return p >= 0; })) break;
    }
    if (header == lines.size()) return fail(ErrorKind::remote, fmt::format("nvidia-smi: {}", lines.front()));

    std::vector<std::string> missing;
    for (std::size_t c = 0; c < columns.size(); ++c)
        if (columns[c].required && position[c] < 0) missing.push_back(fmt::format("\"{}\"", columns[c].names[0]));
    if (!missing.empty())
        return fail(ErrorKind::remote, fmt::format("nvidia-smi --{} output has no {} column{} (header \"{}\")", query,
                                                   fmt::join(missing, ", "), missing.size() > 1 ? "s" : "",
                                                   lines[header]));

    std::size_t width = split(lines[header], separator).size();
    int free_column = -1;
    for (std::size_t c = 0; c < columns.size(); ++c)
        if (columns[c].free_text) free_column = position[c];

    std::vector<Row> rows;
    for (std::size_t l = header + 1; l < lines.size(); ++l) {
        std::string_view line = lines[l];
        std::vector<std::string_view> fields = split(line, separator);
        if (fields.size() == 1 && width > 1) return fail(ErrorKind::remote, fmt::format("nvidia-smi: {}", line));
        if (fields.size() > width && free_column >= 0) {
            // The surplus came from a ", " inside the free-text value: glue it back.
            auto first = fields.begin() + free_column, last = first + static_cast<std::ptrdiff_t>(fields.size() - width);
            *first = std::string_view(first->data(), static_cast<std::size_t>(last->data() + last->size() - first->data()));
            fields.erase(first + 1, last + 1);
        }
        if (fields.size() != width)
            return fail(ErrorKind::remote, fmt::format("unexpected nvidia-smi output line \"{}\" ({} fields, header has {})",
                                                       line, fields.size(), width));
        Row row;
        for (std::size_t c = 0; c < columns.size(); ++c)
            if (position[c] >= 0 && !columns[c].set(row, fields[static_cast<std::size_t>(position[c])]))
                return fail(ErrorKind::remote, fmt::format("nvidia-smi output line \"{}\": bad {} \"{}\"", line,
                                                           columns[c].names[0],
                                                           smi::trim(fields[static_cast<std::size_t>(position[c])])));
        rows.push_back(std::move(row));
    }
    return rows;
}

}  // namespace

std::string nvidia_gpu_query_command() { return query_command<GpuSample>("query-gpu", gpu_columns); }

std::string nvidia_apps_query_command() { return query_command<GpuProcessSample>("query-compute-apps", app_columns); }

Result<std::vector<GpuSample>> parse_nvidia_gpu_csv(std::string_view csv_with_header) {
    return parse_table<GpuSample>(csv_with_header, "query-gpu", gpu_columns);
}

Result<std::vector<GpuProcessSample>> parse_nvidia_apps_csv(std::string_view csv_with_header) {
    return parse_table<GpuProcessSample>(csv_with_header, "query-compute-apps", app_columns);
}

}  // namespace cc
