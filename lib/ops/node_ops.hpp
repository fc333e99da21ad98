// Node use cases: one function per command, composing inventory, transport
// and facts. Nothing here prints.
#pragma once
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ops/context.hpp"

namespace cc {

struct NodeAddRequest {
    std::string name;
    std::string host;
    std::optional<int> port;
    std::optional<std::string> user;
    std::string identity;
    std::map<std::string, std::string> labels;
    std::vector<std::string> groups;
    bool accept_new_host_key = false;
    std::string host_key_fingerprint;
};

Result<Node> node_add(OpsContext& ctx, const NodeAddRequest& request);

// Shared by node add and node set: the connection fields a user gives.
Result<void> validate_node_fields(const std::optional<std::string>& host, std::optional<int> port,
                                  const std::optional<std::string>& user, const std::string& identity,
                                  const std::vector<std::string>& groups);
// How a new pin for `node` at host:port is decided: known_hosts, the flags,
// and the key another node at the same host:port has pinned (which wins).
Result<HostKeyCheck> new_pin_check(OpsContext& ctx, const std::string& node, const std::string& host, int port,
                                   bool accept_new, const std::string& expected_fingerprint);

struct NodeSetRequest {
    std::string name;
    std::optional<std::string> host;
    std::optional<int> port;
    std::optional<std::string> user;
    std::optional<std::string> identity;  // "" removes the node's own identity file
    std::vector<std::string> group_changes;  // "+g" adds, "-g" removes
    bool accept_new_host_key = false;
    std::string host_key_fingerprint;
};
// Edits a node in one transaction; a host or port change connects and
// re-pins the host key exactly as node add does. Nothing changes on failure.
Result<Node> node_set(OpsContext& ctx, const NodeSetRequest& request);
Result<std::vector<Node>> node_list(OpsContext& ctx, const std::optional<std::string>& nodeset);
Result<Node> node_show(OpsContext& ctx, const std::string& name);
Result<std::vector<std::string>> node_remove(OpsContext& ctx, const std::string& nodeset, bool force);

// Gathers facts on every node in parallel and stores the successful ones in
// one transaction (a result's value is meaningful when its status is ok).
Result<std::vector<NodeResult<Facts>>> node_facts_refresh(OpsContext& ctx, const std::string& nodeset);

enum class CheckState { ok, failed, skipped };
const char* check_state_name(CheckState state);

struct CheckItem {
    std::string name;  // ssh, host_key, runtime, gpu, disk
    CheckState state = CheckState::skipped;
    std::string detail;
};

// One node's checks; its status is ok when it is healthy, failed when a check
// failed, and error_kind says why it could not be checked at all.
struct NodeCheck {
    std::vector<CheckItem> checks;
    std::string reason;  // first failing check's detail, or why it could not be checked
};
Result<std::vector<NodeResult<NodeCheck>>> node_check(OpsContext& ctx, const std::string& nodeset);
// The verdict on one node from its freshly gathered facts (pure: unit tested).
std::vector<CheckItem> judge_facts(const Node& node, const Facts& facts, std::uint64_t min_disk_free);

// Parses `key=value` (set) and `key-` (remove) arguments.
Result<LabelChange> parse_label_args(const std::vector<std::string>& args);
Result<std::vector<std::string>> node_label(OpsContext& ctx, const std::string& nodeset, const LabelChange& change);

struct RekeyPlan {
    std::string node;
    HostKey old_key;
    HostKey new_key;
};
// Connects ignoring the pinned key (still verifying it against an expected
// fingerprint, known_hosts and @revoked), logs in, and reports the key the
// node presents now; changes nothing (cli/ shows both keys and asks).
Result<RekeyPlan> node_rekey_plan(OpsContext& ctx, const std::string& name, const std::string& expected_fingerprint);
// Pins plan.new_key, refusing if the pin is no longer plan.old_key.
Result<void> node_rekey_apply(OpsContext& ctx, const RekeyPlan& plan);

}  // namespace cc
