// The shapes of node outputs (node ls/show/add/set, node check, node facts):
// the columns of their tables and the keys of their JSON, documented in
// man/clusterctl.1.
#pragma once
#include <vector>

#include <nlohmann/json.hpp>

#include "ops/node_ops.hpp"
#include "views/column.hpp"

namespace cc {

const std::vector<Column<Node>>& node_columns();
const std::vector<Column<Facts>>& facts_fields();  // JSON only
const std::vector<Column<NodeResult<NodeCheck>>>& check_columns();
const std::vector<Column<NodeResult<Facts>>>& facts_outcome_columns();

inline nlohmann::json node_json(const Node& node) { return json_object(node, node_columns()); }

// Labels as `k=v,k=v`, "-" when none.
std::string labels_text(const Node& node);

}  // namespace cc
