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

struct RekeyResult {
    std::string node;
    HostKey old_key;
    HostKey new_key;
};
// Connects ignoring the pinned key (still verifying it against an expected
// fingerprint when given), logs in, and pins the key the node presents now.
Result<RekeyResult> node_rekey(OpsContext& ctx, const std::string& name, const std::string& expected_fingerprint);

}  // namespace cc
