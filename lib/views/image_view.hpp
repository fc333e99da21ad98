// The shapes of image outputs, documented in man/clusterctl.1: registry-side
// (fetch/upload summaries, inspect, tags), the local blob cache and stored
// registry logins. Node-side `image ls` columns go below, in their own section.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ops/image_registry.hpp"
#include "views/column.hpp"

namespace cc {

// ---- registry and archives (image fetch, upload, inspect, tags, cache; registry ls)
const std::vector<Column<ImageSummary>>& image_summary_columns();
const std::vector<Column<InspectedLayer>>& inspected_layer_columns();
const std::vector<Column<PlatformEntry>>& platform_entry_columns();
const std::vector<Column<CachedBlob>>& cached_blob_columns();
const std::vector<Column<StoredLogin>>& stored_login_columns();
nlohmann::json inspection_json(const ImageInspection& inspection);

// ---- images on nodes (image ls)

}  // namespace cc
