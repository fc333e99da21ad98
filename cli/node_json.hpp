// The stable JSON shapes of node commands (documented in man/clusterctl.1).
#pragma once
#include <nlohmann/json.hpp>

#include "ops/node_ops.hpp"

namespace cc::cli {

nlohmann::json node_json(const Node& node);
nlohmann::json check_json(const NodeResult<NodeCheck>& report);
nlohmann::json facts_outcome_json(const NodeResult<Facts>& outcome);

}  // namespace cc::cli
