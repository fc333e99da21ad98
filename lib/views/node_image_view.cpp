#include "views/node_image_view.hpp"

#include "core/strings.hpp"
#include "core/units.hpp"

namespace cc {

namespace {

using json = nlohmann::json;

Style status_style(NodeStatus s) { return s == NodeStatus::ok ? Style::good : Style::bad; }

template <class T>
json status_word(const NodeResult<T>& r) {
    return node_status_word(r.status, r.error_kind);
}

// "sha256:bbba3a3c344e…" → "bbba3a3c344e", as podman and docker show ids.
std::string short_id(const std::string& id) { return id.substr(id.starts_with("sha256:") ? 7 : 0, 12); }

std::string removal_text(const NodeResult<ImageRemoval>& r) {
    if (r.status != NodeStatus::ok) return r.error;
    if (r.value.images.empty()) return "nothing to remove";
    std::vector<std::string> names;
    for (const auto& image : r.value.images) names.push_back(image_name(image));
    return (r.value.removed ? "removed " : "would remove ") + join(names, " ");
}

}  // namespace

std::vector<NodeImageRow> node_image_rows(const std::vector<NodeResult<NodeImages>>& nodes) {
    std::vector<NodeImageRow> rows;
    for (const auto& n : nodes)
        for (const auto& image : n.value.images) rows.push_back({&n, &image});
    return rows;
}

const std::vector<Column<NodeImage>>& image_fields() {
    using I = NodeImage;
    static const std::vector<Column<I>> fields = {
        {.json_key = "repository", .value = [](const I& i) { return or_null(i.repository); }},
        {.json_key = "tag", .value = [](const I& i) { return or_null(i.tag); }},
        {.json_key = "id", .value = [](const I& i) { return i.id; }},
        {.json_key = "size", .value = [](const I& i) { return i.size; }},
    };
    return fields;
}

const std::vector<Column<NodeImageRow>>& node_image_columns() {
    using R = NodeImageRow;
    static const std::vector<Column<R>> columns = {
        {.header = "NODE", .value = [](const R& r) { return r.node->node; }},
        {.header = "RUNTIME", .value = [](const R& r) { return r.node->value.runtime; }, .wide_only = true},
        {.header = "REPOSITORY", .value = [](const R& r) { return or_null(r.image->repository); }},
        {.header = "TAG", .value = [](const R& r) { return or_null(r.image->tag); }},
        {.header = "ID", .value = [](const R& r) { return short_id(r.image->id); }},
        {.header = "FULL ID", .value = [](const R& r) { return r.image->id; }, .wide_only = true},
        {.header = "SIZE", .value = [](const R& r) { return r.image->size; },
         .text = [](const R& r) { return format_bytes(r.image->size); }},
    };
    return columns;
}

const std::vector<Column<NodeResult<NodeImages>>>& node_images_fields() {
    using N = NodeResult<NodeImages>;
    static const std::vector<Column<N>> fields = {
        {.json_key = "node", .value = [](const N& n) { return n.node; }},
        {.json_key = "status", .value = status_word<NodeImages>},
        {.json_key = "error", .value = [](const N& n) { return or_null(n.error); }},
        {.json_key = "runtime", .value = [](const N& n) { return or_null(n.value.runtime); }},
        {.json_key = "images", .value = [](const N& n) { return json_array(n.value.images, image_fields()); }},
    };
    return fields;
}

const std::vector<Column<NodeResult<PulledImage>>>& pull_outcome_columns() {
    using O = NodeResult<PulledImage>;
    static const std::vector<Column<O>> columns = {
        {.header = "NODE", .json_key = "node", .value = [](const O& o) { return o.node; }},
        {.header = "STATUS", .json_key = "status", .value = status_word<PulledImage>,
         .style = [](const O& o) { return status_style(o.status); }},
        {.header = "RUNTIME", .json_key = "runtime", .value = [](const O& o) { return or_null(o.value.runtime); }},
        {.header = "IMAGE", .json_key = "ref", .value = [](const O& o) { return or_null(o.value.ref); }},
        {.header = "ERROR", .json_key = "error", .value = [](const O& o) { return or_null(o.error); }},
    };
    return columns;
}

const std::vector<Column<NodeResult<ImageRemoval>>>& removal_outcome_columns() {
    using O = NodeResult<ImageRemoval>;
    static const std::vector<Column<O>> columns = {
        {.header = "NODE", .json_key = "node", .value = [](const O& o) { return o.node; }},
        {.header = "STATUS", .json_key = "status", .value = status_word<ImageRemoval>,
         .style = [](const O& o) { return status_style(o.status); }},
        {.header = "RUNTIME", .json_key = "runtime", .value = [](const O& o) { return or_null(o.value.runtime); },
         .wide_only = true},
        {.header = "IMAGES", .text = removal_text},
        {.json_key = "removed", .value = [](const O& o) { return o.value.removed; }},
        {.json_key = "images", .value = [](const O& o) { return json_array(o.value.images, image_fields()); }},
        {.json_key = "error", .value = [](const O& o) { return or_null(o.error); }},
    };
    return columns;
}

}  // namespace cc
