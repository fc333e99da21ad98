#include "views/node_view.hpp"

#include <fmt/format.h>

#include "core/strings.hpp"
#include "core/units.hpp"

namespace cc {

namespace {

using json = nlohmann::json;

std::string gpus_text(const Node& n) {
    if (!n.facts || n.facts->gpus.empty()) return "0";
    return fmt::format("{}x {}", n.facts->gpus.size(), n.facts->gpus.front().name);
}

// A table cell from the node's facts; "-" before facts were gathered.
template <class F>
std::function<std::string(const Node&)> fact(F get) {
    return [get](const Node& n) -> std::string { return n.facts ? std::string(get(*n.facts)) : "-"; };
}

std::string dash_join(const std::vector<std::string>& items) { return items.empty() ? "-" : join(items, ","); }

json gpus_json(const std::vector<GpuInfo>& gpus) {
    json out = json::array();
    for (const auto& g : gpus)
        out.push_back({{"index", g.index}, {"uuid", or_null(g.uuid)}, {"name", or_null(g.name)},
                       {"memory_total_mib", g.memory_total_mib}});
    return out;
}

const CheckItem* find_check(const NodeResult<NodeCheck>& r, const char* name) {
    for (const auto& c : r.value.checks)
        if (c.name == name) return &c;
    return nullptr;
}

Style state_style(CheckState s) {
    return s == CheckState::ok ? Style::good : s == CheckState::failed ? Style::bad : Style::dim;
}

// One table column per check; JSON has them all under "checks".
Column<NodeResult<NodeCheck>> check_column(const char* header, const char* name) {
    return {.header = header,
            .value = [name](const NodeResult<NodeCheck>& r) -> json {
                const CheckItem* c = find_check(r, name);
                return c ? json(check_state_name(c->state)) : json(nullptr);
            },
            .style = [name](const NodeResult<NodeCheck>& r) {
                const CheckItem* c = find_check(r, name);
                return c ? state_style(c->state) : Style::none;
            }};
}

json checks_json(const NodeResult<NodeCheck>& r) {
    json out = json::object();
    for (const auto& c : r.value.checks) out[c.name] = {{"state", check_state_name(c.state)}, {"detail", or_null(c.detail)}};
    return out;
}

json host_key_json(const Node& n) { return {{"type", n.host_key.type}, {"fingerprint", n.host_key.fingerprint}}; }

std::string facts_detail(const NodeResult<Facts>& o) {
    if (o.status != NodeStatus::ok) return o.error;
    return fmt::format("{}, {}, {} GPU(s)", o.value.hostname, o.value.os, o.value.gpus.size());
}

json error_kind_json(const std::optional<ErrorKind>& kind) {
    return kind ? json(error_kind_name(*kind)) : json(nullptr);
}

}  // namespace

std::string labels_text(const Node& n) {
    std::vector<std::string> parts;
    for (const auto& [k, v] : n.labels) parts.push_back(k + "=" + v);
    return dash_join(parts);
}

const std::vector<Column<Node>>& node_columns() {
    using C = Column<Node>;
    static const std::vector<C> columns = {
        {.header = "NAME", .json_key = "name", .value = [](const Node& n) { return n.name; }},
        {.header = "HOST", .json_key = "host", .value = [](const Node& n) { return n.host; }},
        {.header = "PORT", .json_key = "port", .value = [](const Node& n) { return n.port; }, .wide_only = true},
        {.header = "USER", .json_key = "user", .value = [](const Node& n) { return n.user; }, .wide_only = true},
        {.json_key = "identity", .value = [](const Node& n) { return or_null(n.identity); }},
        {.header = "GPUS", .text = gpus_text},
        {.header = "RUNTIME",
         .text = fact([](const Facts& f) { return f.runtime.empty() ? "none" : f.runtime + " " + f.runtime_version; })},
        {.header = "OS", .text = fact([](const Facts& f) { return f.os; })},
        {.header = "KERNEL", .text = fact([](const Facts& f) { return f.kernel; }), .wide_only = true},
        {.header = "ARCH", .text = fact([](const Facts& f) { return f.arch; }), .wide_only = true},
        {.header = "CPUS", .text = fact([](const Facts& f) { return std::to_string(f.cpus); }), .wide_only = true},
        {.header = "MEMORY",
         .text = fact([](const Facts& f) { return format_bytes(f.memory_bytes); }),
         .wide_only = true},
        {.header = "DISK_FREE",
         .text = fact([](const Facts& f) { return format_bytes(f.disk_free_bytes); }),
         .wide_only = true},
        {.header = "DRIVER",
         .text = fact([](const Facts& f) { return f.gpu_driver.empty() ? "-" : f.gpu_driver; }),
         .wide_only = true},
        {.header = "GROUPS", .json_key = "groups",
         .value = [](const Node& n) { return n.groups; },
         .text = [](const Node& n) { return dash_join(n.groups); },
         .wide_only = true},
        {.header = "LABELS", .json_key = "labels",
         .value = [](const Node& n) { return n.labels; },
         .text = labels_text},
        {.header = "HOST_KEY", .json_key = "host_key",
         .value = host_key_json,
         .text = [](const Node& n) { return n.host_key.fingerprint; },
         .wide_only = true},
        {.header = "CORDONED", .json_key = "cordoned",
         .value = [](const Node& n) { return n.cordoned; },
         .text = [](const Node& n) { return std::string(n.cordoned ? "yes" : "-"); },
         .style = [](const Node& n) { return n.cordoned ? Style::bad : Style::none; }},
        {.json_key = "created_at", .value = [](const Node& n) { return n.created_at; }},
        {.json_key = "facts",
         .value = [](const Node& n) { return n.facts ? json_object(*n.facts, facts_fields()) : json(nullptr); }},
    };
    return columns;
}

const std::vector<Column<Facts>>& facts_fields() {
    using F = Facts;
    static const std::vector<Column<Facts>> columns = {
        {.json_key = "hostname", .value = [](const F& f) { return or_null(f.hostname); }},
        {.json_key = "os", .value = [](const F& f) { return or_null(f.os); }},
        {.json_key = "kernel", .value = [](const F& f) { return or_null(f.kernel); }},
        {.json_key = "arch", .value = [](const F& f) { return or_null(f.arch); }},
        {.json_key = "cpus", .value = [](const F& f) { return f.cpus; }},
        {.json_key = "memory_bytes", .value = [](const F& f) { return f.memory_bytes; }},
        {.json_key = "disk_free_bytes", .value = [](const F& f) { return f.disk_free_bytes; }},
        {.json_key = "disk_total_bytes", .value = [](const F& f) { return f.disk_total_bytes; }},
        {.json_key = "runtime", .value = [](const F& f) { return or_null(f.runtime); }},
        {.json_key = "runtime_version", .value = [](const F& f) { return or_null(f.runtime_version); }},
        {.json_key = "nvidia_smi", .value = [](const F& f) { return f.nvidia_smi; }},
        {.json_key = "gpu_driver", .value = [](const F& f) { return or_null(f.gpu_driver); }},
        {.json_key = "gpu_error", .value = [](const F& f) { return or_null(f.gpu_error); }},
        {.json_key = "gpus", .value = [](const F& f) { return gpus_json(f.gpus); }},
        {.json_key = "gathered_at", .value = [](const F& f) { return or_null(f.gathered_at); }},
    };
    return columns;
}

const std::vector<Column<NodeResult<NodeCheck>>>& check_columns() {
    using R = NodeResult<NodeCheck>;
    static const std::vector<Column<R>> columns = {
        {.header = "NODE", .json_key = "node", .value = [](const R& r) { return r.node; }},
        {.header = "STATUS", .json_key = "healthy",
         .value = [](const R& r) { return r.status == NodeStatus::ok; },
         .text = [](const R& r) { return std::string(r.status == NodeStatus::ok ? "healthy" : "unhealthy"); },
         .style = [](const R& r) { return r.status == NodeStatus::ok ? Style::good : Style::bad; }},
        check_column("SSH", "ssh"),
        check_column("HOST_KEY", "host_key"),
        check_column("RUNTIME", "runtime"),
        check_column("GPU", "gpu"),
        check_column("DISK", "disk"),
        {.json_key = "checks", .value = checks_json},
        {.json_key = "error_kind", .value = [](const R& r) { return error_kind_json(r.error_kind); }},
        {.header = "TIME", .json_key = "duration_ms",
         .value = [](const R& r) { return r.duration.count(); },
         .text = [](const R& r) { return fmt::format("{}ms", r.duration.count()); },
         .wide_only = true},
        {.header = "REASON", .json_key = "reason",
         .value = [](const R& r) { return or_null(r.value.reason); },
         .text = [](const R& r) { return r.status == NodeStatus::ok || r.value.reason.empty() ? std::string("-") : r.value.reason; }},
    };
    return columns;
}

const std::vector<Column<NodeResult<Facts>>>& facts_outcome_columns() {
    using O = NodeResult<Facts>;
    static const std::vector<Column<O>> columns = {
        {.header = "NODE", .json_key = "node", .value = [](const O& o) { return o.node; }},
        {.header = "STATUS", .json_key = "ok",
         .value = [](const O& o) { return o.status == NodeStatus::ok; },
         .text = [](const O& o) { return std::string(o.status == NodeStatus::ok ? "ok" : "failed"); },
         .style = [](const O& o) { return o.status == NodeStatus::ok ? Style::good : Style::bad; }},
        {.header = "DETAIL",
         .text = facts_detail},
        {.json_key = "error_kind",
         .value = [](const O& o) { return error_kind_json(o.error_kind); }},
        {.json_key = "error", .value = [](const O& o) { return o.status == NodeStatus::ok ? json(nullptr) : json(o.error); }},
        {.json_key = "facts",
         .value = [](const O& o) { return o.status == NodeStatus::ok ? json_object(o.value, facts_fields()) : json(nullptr); }},
    };
    return columns;
}

}  // namespace cc
