// The shape of instance outputs (instance create/ls/show/start/stop/restart/rm),
// documented in man/clusterctl.1.
#pragma once
#include <vector>

#include <nlohmann/json.hpp>

#include "ops/instance.hpp"
#include "views/column.hpp"

namespace cc {

const std::vector<Column<InstanceView>>& instance_columns();

// {"name", "node", "owner", "image", "state", "status", "gpus", "ports", "cpus", "memory_bytes",
//  "storage_bytes", "storage_enforced", "labels", "expires_at", "created_at", "started_at"}
inline nlohmann::json instance_json(const InstanceView& v) { return json_object(v, instance_columns()); }

// "30000->8888/tcp,30001->53/udp" or "-".
std::string ports_text(const std::vector<ClaimedPort>& ports);

// start/stop/restart/rm: one row per instance (INSTANCE NODE RESULT ERROR).
const std::vector<Column<NodeResult<InstanceView>>>& instance_outcome_columns();

}  // namespace cc
