#include "views/key_view.hpp"

#include <fmt/format.h>

#include "core/nodeset.hpp"
#include "core/strings.hpp"

namespace cc {

namespace {

using json = nlohmann::json;

std::string nodes_text(const KeyDetails& d) {
    std::vector<std::string> nodes;
    for (const auto& p : d.placements) nodes.push_back(p.node);
    return nodes.empty() ? std::string("-") : fold_nodeset(nodes);
}

// What happened to one account's file, in one cell.
std::string change_text(const NodeResult<AccountEdit>& o) {
    if (o.status != NodeStatus::ok) return o.error;
    std::string text;
    for (const auto& a : o.value.added) text += (text.empty() ? "+" : " +") + a;
    for (const auto& r : o.value.removed) text += (text.empty() ? "-" : " -") + r;
    if (o.value.login_verified) text += *o.value.login_verified ? " (login verified)" : " (login failed)";
    return text.empty() ? std::string(o.value.changed ? "rewritten" : "unchanged") : text;
}

std::string audit_status_text(const NodeResult<AccountAudit>& a) {
    if (a.status != NodeStatus::ok) return node_status_word(a.status, a.error_kind);
    return a.value.drift() ? "drift" : "in-sync";
}

Style status_style(NodeStatus s) { return s == NodeStatus::ok ? Style::good : Style::bad; }

}  // namespace

const std::vector<Column<KeyDetails>>& key_columns() {
    using D = KeyDetails;
    static const std::vector<Column<D>> columns = {
        {.header = "NAME", .json_key = "name", .value = [](const D& d) { return d.key.name; }},
        {.header = "TYPE", .json_key = "type", .value = [](const D& d) { return d.key.type; }},
        {.header = "FINGERPRINT", .json_key = "fingerprint", .value = [](const D& d) { return d.key.fingerprint; }},
        {.header = "OWNER", .json_key = "owner", .value = [](const D& d) { return or_null(d.key.owner); }},
        {.header = "NODES", .text = nodes_text},
        {.header = "COMMENT", .json_key = "comment",
         .value = [](const D& d) { return or_null(d.key.comment); },
         .wide_only = true},
        {.header = "ADDED", .json_key = "created_at",
         .value = [](const D& d) { return d.key.created_at; },
         .wide_only = true},
        {.json_key = "public_key", .value = [](const D& d) { return d.key.type + " " + d.key.base64; }},
        {.json_key = "placements", .value = [](const D& d) { return json_array(d.placements, placement_columns()); }},
    };
    return columns;
}

const std::vector<Column<KeyPlacement>>& placement_columns() {
    using P = KeyPlacement;
    static const std::vector<Column<P>> columns = {
        {.header = "NODE", .json_key = "node", .value = [](const P& p) { return p.node; }},
        {.header = "USER", .json_key = "remote_user", .value = [](const P& p) { return p.remote_user; }},
        {.header = "OPTIONS", .json_key = "options", .value = [](const P& p) { return or_null(p.options); }},
        {.header = "PUSHED", .json_key = "pushed_at", .value = [](const P& p) { return p.pushed_at; }},
    };
    return columns;
}

const std::vector<Column<NodeResult<AccountEdit>>>& account_outcome_columns() {
    using O = NodeResult<AccountEdit>;
    static const std::vector<Column<O>> columns = {
        {.header = "NODE", .json_key = "node", .value = [](const O& o) { return o.node; }},
        {.header = "USER", .json_key = "remote_user", .value = [](const O& o) { return o.value.remote_user; }},
        {.header = "STATUS", .json_key = "status",
         .value = [](const O& o) { return node_status_word(o.status, o.error_kind); },
         .style = [](const O& o) { return status_style(o.status); }},
        {.header = "CHANGE", .text = change_text},
        {.json_key = "changed", .value = [](const O& o) { return o.value.changed; }},
        {.json_key = "added", .value = [](const O& o) { return o.value.added; }},
        {.json_key = "removed", .value = [](const O& o) { return o.value.removed; }},
        {.json_key = "login_verified", .value = [](const O& o) { return or_null(o.value.login_verified); }},
        {.json_key = "error", .value = [](const O& o) { return or_null(o.error); }},
        {.json_key = "notes", .value = [](const O& o) { return o.value.notes; }},
        {.header = "TIME", .json_key = "duration_ms",
         .value = [](const O& o) { return o.duration.count(); },
         .text = [](const O& o) { return fmt::format("{}ms", o.duration.count()); },
         .wide_only = true},
    };
    return columns;
}

const std::vector<Column<NodeResult<AccountAudit>>>& audit_columns() {
    using A = NodeResult<AccountAudit>;
    static const std::vector<Column<A>> columns = {
        {.header = "NODE", .json_key = "node", .value = [](const A& a) { return a.node; }},
        {.header = "USER", .json_key = "remote_user", .value = [](const A& a) { return a.value.remote_user; }},
        {.header = "STATUS", .json_key = "status",
         .value = [](const A& a) { return node_status_word(a.status, a.error_kind); },
         .text = audit_status_text,
         .style = [](const A& a) { return a.status == NodeStatus::ok && !a.value.drift() ? Style::good : Style::bad; }},
        {.json_key = "drift", .value = [](const A& a) { return a.value.drift(); }},
        {.json_key = "login_account", .value = [](const A& a) { return a.value.login_account; }},
        {.json_key = "login_key", .value = [](const A& a) { return or_null(a.value.protected_login_key); }},
        {.header = "UNKNOWN", .json_key = "unknown",
         .value = [](const A& a) { return json_array(a.value.unknown, found_key_fields()); },
         .text = [](const A& a) { return std::to_string(a.value.unknown.size()); }},
        {.header = "MISSING", .json_key = "missing",
         .value = [](const A& a) { return a.value.missing; },
         .text = [](const A& a) { return a.value.missing.empty() ? "0" : join(a.value.missing, ","); }},
        {.header = "UNEXPECTED", .json_key = "unexpected",
         .value = [](const A& a) { return json_array(a.value.unexpected, found_key_fields()); },
         .text = [](const A& a) { return std::to_string(a.value.unexpected.size()); }},
        {.header = "OUTSIDE", .json_key = "outside",
         .value = [](const A& a) { return json_array(a.value.outside, found_key_fields()); },
         .text = [](const A& a) { return std::to_string(a.value.outside.size()); },
         .wide_only = true},
        {.header = "ERROR", .json_key = "error", .value = [](const A& a) { return or_null(a.error); }},
        {.json_key = "duration_ms", .value = [](const A& a) { return a.duration.count(); }},
    };
    return columns;
}

const std::vector<Column<FoundKey>>& found_key_fields() {
    using K = FoundKey;
    static const std::vector<Column<K>> columns = {
        {.json_key = "fingerprint", .value = [](const K& k) { return k.fingerprint; }},
        {.json_key = "type", .value = [](const K& k) { return k.type; }},
        {.json_key = "comment", .value = [](const K& k) { return or_null(k.comment); }},
        {.json_key = "options", .value = [](const K& k) { return or_null(k.options); }},
        {.json_key = "key", .value = [](const K& k) { return or_null(k.key_name); }},
        {.json_key = "in_block", .value = [](const K& k) { return k.in_block; }},
        {.json_key = "login_key", .value = [](const K& k) { return k.login_key; }},
    };
    return columns;
}

}  // namespace cc
