// Internal to the key use cases (key_*.cpp): which accounts to visit on which
// node, and the per-node runner that visits them over one connection.
#pragma once
#include <algorithm>
#include <chrono>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "keys/public_key.hpp"
#include "keys/remote_authorized_keys.hpp"
#include "ops/context.hpp"

namespace cc::keyops {

using Clock = std::chrono::steady_clock;

// The remote users to visit on each node (same order as `nodes`): every
// account clusterctl manages there plus the login user, or only `remote_user`.
Result<std::vector<std::vector<std::string>>> accounts_per_node(OpsContext& ctx, const std::vector<Node>& nodes,
                                                                const std::string& remote_user);

PublicKey public_key_of(const KeyRecord& key);

// The managed block the inventory wants for one account, by key name.
std::vector<std::string> recorded_lines(const std::vector<KeyPlacement>& placements,
                                        const std::map<std::string, KeyRecord>& keys, const std::string& node,
                                        const std::string& user);

std::map<std::string, KeyRecord> keys_by_name(const std::vector<KeyRecord>& keys);
std::map<std::string, std::string> names_by_fingerprint(const std::vector<KeyRecord>& keys);

// Refuses a plan that would take the key clusterctl logs in with out of the
// login account's file (by uid or by file identity, not by name): that would
// lock clusterctl (and the admin) out. `guard` false: the caller knows
// clusterctl logs in with another key from now on (key rotate).
Result<void> keep_login_key(const Connection& connection, bool guard, const RemoteAuthorizedKeys& before,
                            const KeysEdit& edit);

// Visits each node's accounts over one connection, nodes in parallel through
// the engine: one result per (node, account), in node then account order. R
// is AccountEdit or AccountAudit: work fills everything but remote_user. A
// node that could not be reached (or was interrupted) fails each of its accounts
// the same way.
template <class R>
std::vector<NodeResult<R>> for_each_account(
    OpsContext& ctx, const std::vector<Node>& nodes, const std::vector<std::vector<std::string>>& users,
    const std::function<Result<void>(Connection&, const Node&, const std::string&, R&)>& work) {
    using Accounts = std::vector<NodeResult<R>>;
    NodeWork<Accounts> visit = [&](Connection& c, const Node& node, Accounts& accounts) -> Result<NodeStatus> {
        auto start = Clock::now();
        for (const auto& user : users[static_cast<std::size_t>(&node - nodes.data())]) {
            NodeResult<R>& r = accounts.emplace_back();
            r.node = node.name;
            r.value.remote_user = user;
            if (auto done = work(c, node, user, r.value); done) r.status = NodeStatus::ok;
            else record_failure(r, done.error());
            r.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
        }
        return NodeStatus::ok;
    };
    auto per_node = run_on_nodes(ctx, nodes, visit);
    std::vector<NodeResult<R>> results;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        if (!per_node[i].error_kind) {
            std::move(per_node[i].value.begin(), per_node[i].value.end(), std::back_inserter(results));
            continue;
        }
        for (const auto& user : users[i]) {
            NodeResult<R>& r = results.emplace_back();
            r.node = per_node[i].node;
            r.status = per_node[i].status;
            r.error_kind = per_node[i].error_kind;
            r.error = per_node[i].error;
            r.duration = per_node[i].duration;
            r.value.remote_user = user;
        }
    }
    return results;
}

}  // namespace cc::keyops
