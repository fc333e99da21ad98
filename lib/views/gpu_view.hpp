// The shapes of `gpu status|ps|free`: a table row per GPU (or per process),
// JSON per node with its GPUs nested, documented in man/clusterctl.1.
#pragma once
#include <vector>

#include <nlohmann/json.hpp>

#include "ops/gpu_status.hpp"
#include "views/column.hpp"

namespace cc {

// One row per GPU; a node without GPUs gets one row saying why (gpu is null).
struct GpuRow {
    const NodeResult<GpuNode>* node;
    const GpuView* gpu;
};
std::vector<GpuRow> gpu_rows(const std::vector<NodeResult<GpuNode>>& nodes);

struct ProcessRow {
    const NodeResult<GpuNode>* node;
    const GpuView* gpu;
    const GpuProcess* process;
};
std::vector<ProcessRow> process_rows(const std::vector<NodeResult<GpuNode>>& nodes);

const std::vector<Column<GpuRow>>& gpu_columns();             // gpu status
const std::vector<Column<GpuRow>>& free_gpu_columns();        // gpu free: the same table, less JSON
const std::vector<Column<NodeResult<GpuNode>>>& gpu_node_fields();  // gpu status JSON, one object per node
const std::vector<Column<ProcessRow>>& process_columns();     // gpu ps

}  // namespace cc
