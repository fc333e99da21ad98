#include "views/instance_view.hpp"

#include <fmt/format.h>

#include "core/quantity.hpp"
#include "core/strings.hpp"
#include "core/units.hpp"

namespace cc {

namespace {

using json = nlohmann::json;
using V = InstanceView;

json ports_json(const std::vector<ClaimedPort>& ports) {
    json out = json::array();
    for (const auto& p : ports)
        out.push_back({{"host_port", p.host_port}, {"container_port", p.container_port}, {"proto", p.proto}});
    return out;
}

json amount_or_null(std::int64_t value) { return value > 0 ? json(value) : json(nullptr); }

Style status_style(const V& v) {
    if (v.status == "running") return Style::good;
    if (v.status == "missing" || v.status == "unreachable" || v.status == "exited") return Style::bad;
    return Style::none;
}

}  // namespace

std::string ports_text(const std::vector<ClaimedPort>& ports) {
    std::vector<std::string> items;
    for (const auto& p : ports) items.push_back(fmt::format("{}->{}/{}", p.host_port, p.container_port, p.proto));
    return items.empty() ? std::string("-") : join(items, ",");
}

const std::vector<Column<InstanceView>>& instance_columns() {
    static const std::vector<Column<V>> columns = {
        {"NAME", "name", [](const V& v) { return json(v.record.name); }},
        {"NODE", "node", [](const V& v) { return json(v.record.node); }},
        {"OWNER", "owner", [](const V& v) { return or_null(v.record.owner); }},
        {"IMAGE", "image", [](const V& v) { return json(v.record.image); }, nullptr, nullptr, true},
        {nullptr, "state", [](const V& v) { return json(v.record.state); }},
        {"STATUS", "status", [](const V& v) { return or_null(v.status); },
         [](const V& v) { return v.record.state == "creating" ? std::string("creating") : v.status.empty() ? "-" : v.status; },
         status_style},
        {"GPUS", "gpus", [](const V& v) { return json(v.gpus); },
         [](const V& v) { return v.gpus.empty() ? std::string("-") : join(v.gpus, ","); }},
        {"PORTS", "ports", [](const V& v) { return ports_json(v.ports); }, [](const V& v) { return ports_text(v.ports); }},
        {"CPUS", "cpus",
         [](const V& v) { return v.record.cpus_milli > 0 ? json(static_cast<double>(v.record.cpus_milli) / 1000.0) : json(nullptr); },
         [](const V& v) { return v.record.cpus_milli > 0 ? format_cpus(v.record.cpus_milli) : std::string("-"); }, nullptr,
         true},
        {"MEMORY", "memory_bytes", [](const V& v) { return amount_or_null(v.record.memory_bytes); },
         [](const V& v) {
             return v.record.memory_bytes > 0 ? format_bytes(static_cast<std::uint64_t>(v.record.memory_bytes)) : std::string("-");
         },
         nullptr, true},
        {"STORAGE", "storage_bytes", [](const V& v) { return amount_or_null(v.record.storage_bytes); },
         [](const V& v) {
             if (v.record.storage_bytes <= 0) return std::string("-");
             return format_bytes(static_cast<std::uint64_t>(v.record.storage_bytes)) +
                    (v.record.storage_enforced ? "" : " (not enforced)");
         },
         nullptr, true},
        {nullptr, "storage_enforced", [](const V& v) { return json(v.record.storage_enforced); }},
        {nullptr, "labels", [](const V& v) { return json(v.labels); }},
        {"EXPIRES", "expires_at", [](const V& v) { return or_null(v.record.expires_at); }, nullptr, nullptr, true},
        {"CREATED", "created_at", [](const V& v) { return json(v.record.created_at); }, nullptr, nullptr, true},
        {nullptr, "started_at", [](const V& v) { return or_null(v.started_at); }},
        {nullptr, "image_pushed", [](const V& v) { return json(v.image_pushed); }},
        {nullptr, "detail", [](const V& v) { return or_null(v.detail); }},
    };
    return columns;
}

const std::vector<Column<NodeResult<InstanceView>>>& instance_outcome_columns() {
    using R = NodeResult<InstanceView>;
    static const std::vector<Column<R>> columns = {
        {"INSTANCE", "name", [](const R& r) { return json(r.node); }},
        {"NODE", "node", [](const R& r) { return json(r.value.record.node); }},
        {"RESULT", "status", [](const R& r) { return json(r.status == NodeStatus::ok ? r.value.status : node_status_word(r.status, r.error_kind)); },
         nullptr, [](const R& r) { return r.status == NodeStatus::ok ? Style::good : Style::bad; }},
        {"ERROR", "error", [](const R& r) { return or_null(r.error); }},
    };
    return columns;
}

}  // namespace cc
