// Internal to the key use cases (key_*.cpp): which accounts to visit on which
// node, and the per-node runner that visits them over one connection.
#pragma once
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/interrupt.hpp"
#include "fanout/fanout.hpp"
#include "keys/public_key.hpp"
#include "keys/remote_authorized_keys.hpp"
#include "ops/context.hpp"
#include "ops/exec.hpp"

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

// Visits each node's accounts over one connection, nodes in parallel. R is
// AccountOutcome or AccountAudit: work fills everything but the identity,
// status on success and duration.
template <class R>
std::vector<R> for_each_account(OpsContext& ctx, const std::vector<Node>& nodes,
                                const std::vector<std::vector<std::string>>& users,
                                const std::function<Result<void>(Connection&, const Node&, const std::string&, R&)>& work) {
    std::vector<std::size_t> first(nodes.size() + 1, 0);
    for (std::size_t i = 0; i < nodes.size(); ++i) first[i + 1] = first[i] + users[i].size();
    std::vector<R> results(first.back());
    for_each_parallel(nodes.size(), ctx.settings.fanout, [&](std::size_t i) {
        auto start = Clock::now();
        auto connection = interrupt_requested()
                              ? Result<std::unique_ptr<Connection>>(fail(ErrorKind::interrupted, "interrupted before start"))
                              : connect_pinned(ctx, nodes[i]);
        for (std::size_t j = 0; j < users[i].size(); ++j) {
            R& r = results[first[i] + j];
            r.node = nodes[i].name;
            r.remote_user = users[i][j];
            Result<void> done = connection ? work(**connection, nodes[i], users[i][j], r)
                                           : Result<void>(std::unexpected(connection.error()));
            r.status = done ? ExecStatus::ok : exec_status_for(done.error().kind);
            if (!done) r.error = done.error().message;
            r.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
        }
    });
    return results;
}

}  // namespace cc::keyops
