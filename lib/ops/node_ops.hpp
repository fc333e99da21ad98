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

// Per-node outcome of an operation that contacts many nodes.
struct NodeFailure {
    ErrorKind kind;
    std::string message;
};

struct FactsOutcome {
    std::string node;
    std::optional<Facts> facts;          // set on success
    std::optional<NodeFailure> failure;  // set on failure
};
// Gathers facts on every node in parallel and stores the successful ones in one transaction.
Result<std::vector<FactsOutcome>> node_facts_refresh(OpsContext& ctx, const std::string& nodeset);

enum class CheckState { ok, failed, skipped };
const char* check_state_name(CheckState state);

struct CheckItem {
    std::string name;  // ssh, host_key, runtime, gpu, disk
    CheckState state = CheckState::skipped;
    std::string detail;
};

struct NodeCheckReport {
    std::string node;
    bool healthy = false;
    std::vector<CheckItem> checks;
    std::optional<ErrorKind> error_kind;  // why the node could not be checked at all
    std::string reason;                   // first failing check's detail
    std::chrono::milliseconds duration{0};
};
Result<std::vector<NodeCheckReport>> node_check(OpsContext& ctx, const std::string& nodeset);
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
