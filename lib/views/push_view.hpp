// The per-node outcome of `image push` (table and -o json), documented in man/clusterctl.1.
#pragma once
#include <vector>

#include "ops/image_push.hpp"
#include "views/column.hpp"

namespace cc {

const std::vector<Column<NodeResult<ImagePushOutput>>>& push_outcome_columns();

}  // namespace cc
