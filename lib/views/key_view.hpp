// The shapes of key outputs: the registry (key ls/show/add), per-account
// outcomes (push, revoke, rotate, rm, sync) and audits, documented in
// man/clusterctl.1.
#pragma once
#include <vector>

#include <nlohmann/json.hpp>

#include "ops/keys.hpp"
#include "views/column.hpp"

namespace cc {

const std::vector<Column<KeyDetails>>& key_columns();
const std::vector<Column<KeyPlacement>>& placement_columns();
const std::vector<Column<NodeResult<AccountEdit>>>& account_outcome_columns();
const std::vector<Column<NodeResult<AccountAudit>>>& audit_columns();
const std::vector<Column<FoundKey>>& found_key_fields();  // JSON only

inline nlohmann::json key_json(const KeyDetails& key) { return json_object(key, key_columns()); }

}  // namespace cc
