// The shapes of per-node run outcomes (exec -o json, cp) and of `config show`,
// documented in man/clusterctl.1.
#pragma once
#include <vector>

#include "config/config.hpp"
#include "ops/copy.hpp"
#include "ops/exec.hpp"
#include "views/column.hpp"

namespace cc {

const std::vector<Column<NodeResult<ExecOutput>>>& exec_outcome_fields();  // JSON only: exec prints streams
const std::vector<Column<NodeResult<CopyOutput>>>& copy_outcome_columns();

struct ConfigRow {
    const ConfigEntry* entry;
    const ConfigKeyInfo* key;
};
std::vector<ConfigRow> config_rows(const Config& config);
const std::vector<Column<ConfigRow>>& config_columns();

}  // namespace cc
