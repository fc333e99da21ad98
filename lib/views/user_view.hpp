// The shape of user outputs (user add/ls/show/set/usage), documented in man/clusterctl.1.
#pragma once
#include <vector>

#include <nlohmann/json.hpp>

#include "ops/user_admin.hpp"
#include "views/column.hpp"

namespace cc {

// user ls / show: level, limits and volumes.
const std::vector<Column<UserDetails>>& user_columns();
// user usage: use against each limit.
const std::vector<Column<UserDetails>>& usage_columns();

// {"name", "level", "quota": own overrides (null = the level's), "limits", "usage", "volumes", "created_at"}
inline nlohmann::json user_json(const UserDetails& user) { return json_object(user, user_columns()); }

// "1/2": use of one limit as a table cell; storage gets " (not enforced)" where it was not.
std::string use_text(const UserDetails& user, std::string_view key);

}  // namespace cc
