// The shapes of `image ls`, `image pull` and `image rm` (images in the nodes'
// runtimes), documented in man/clusterctl.1.
#pragma once
#include <vector>

#include "ops/image_nodes.hpp"
#include "views/column.hpp"

namespace cc {

// `image ls`: one table row per (node, image name); JSON is one object per node.
struct NodeImageRow {
    const NodeResult<NodeImages>* node;
    const NodeImage* image;
};
std::vector<NodeImageRow> node_image_rows(const std::vector<NodeResult<NodeImages>>& nodes);
const std::vector<Column<NodeImageRow>>& node_image_columns();
const std::vector<Column<NodeResult<NodeImages>>>& node_images_fields();  // JSON only
const std::vector<Column<NodeImage>>& image_fields();                     // JSON only

const std::vector<Column<NodeResult<PulledImage>>>& pull_outcome_columns();
const std::vector<Column<NodeResult<ImageRemoval>>>& removal_outcome_columns();

}  // namespace cc
