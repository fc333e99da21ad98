#pragma once
#include "core/error.hpp"
#include "inventory/sqlite.hpp"

namespace cc {

// Brings the file to kInventorySchemaVersion in one BEGIN IMMEDIATE transaction.
Result<void> migrate_inventory(sql::Database& db, int target_version);

}  // namespace cc
