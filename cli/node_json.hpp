// The stable JSON shapes of node commands (documented in man/clusterctl.1).
#pragma once
#include <nlohmann/json.hpp>

#include "ops/node_ops.hpp"

namespace cc::cli {

nlohmann::json node_json(const Node& node);
nlohmann::json check_json(const NodeCheckReport& report);
nlohmann::json facts_outcome_json(const FactsOutcome& outcome);

}  // namespace cc::cli
