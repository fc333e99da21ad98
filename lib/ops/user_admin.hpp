// `user …` and `node cordon`: inventory-only use cases (no node is contacted).
// A user's limits are their level's (config `[levels.*]`) with their own quota over them.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ops/context.hpp"

namespace cc {

struct UserDetails {
    UserRecord user;
    ResourceLimits limits;  // effective: level defaults with the user's own quota applied
    ResourceUse use;        // what the user's instances hold now
};

struct UserAddRequest {
    std::string name;
    std::string level = "small";
    std::optional<std::string> quota;  // `--quota` text
    std::vector<std::string> volumes;  // `--volume` texts
};
Result<UserDetails> user_add(OpsContext& ctx, const UserAddRequest& request);

struct UserSetRequest {
    std::string name;
    std::optional<std::string> level;
    std::optional<std::string> quota;
    std::vector<std::string> volumes;  // replaces the list when given
    bool no_volumes = false;           // clears the list
};
Result<UserDetails> user_set(OpsContext& ctx, const UserSetRequest& request);

Result<std::vector<UserDetails>> user_list(OpsContext& ctx);
Result<UserDetails> user_show(OpsContext& ctx, const std::string& name);
Result<void> user_remove(OpsContext& ctx, const std::string& name);

// The nodes of `nodeset`, cordoned (or not) in one transaction; their names.
Result<std::vector<std::string>> node_cordon(OpsContext& ctx, std::string_view nodeset, bool cordoned);

}  // namespace cc
