// key audit | sync: compare each account's authorized_keys with the
// inventory, and make the managed block (and with --exclusive, the whole
// file) say what the inventory says.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "keys/authorized_keys.hpp"
#include "ops/key_common.hpp"
#include "ops/keys.hpp"

namespace cc {

using namespace keyops;

namespace {

struct Wanted {
    std::vector<KeyPlacement> placements;
    std::map<std::string, KeyRecord> keys;           // by name
    std::map<std::string, std::string> fingerprints;  // fingerprint → name
};

Result<Wanted> load_wanted(OpsContext& ctx) {
    auto keys = ctx.inventory.keys().list();
    if (!keys) return std::unexpected(keys.error());
    auto placements = ctx.inventory.keys().placements();
    if (!placements) return std::unexpected(placements.error());
    return Wanted{std::move(*placements), keys_by_name(*keys), names_by_fingerprint(*keys)};
}

FoundKey found(const AuthorizedKeyLine& line, const Wanted& wanted, bool in_block) {
    FoundKey k{line_fingerprint(line), line.type, line.comment, line.options, "", in_block};
    if (auto it = wanted.fingerprints.find(k.fingerprint); it != wanted.fingerprints.end()) k.key_name = it->second;
    return k;
}

void audit_file(const RemoteAuthorizedKeys& file, const Wanted& wanted, const std::string& node, AccountAudit& out) {
    std::map<std::string, std::string> expected;  // line → key name
    for (const auto& p : wanted.placements) {
        if (p.node != node || p.remote_user != file.user) continue;
        auto key = wanted.keys.find(p.key);
        if (key != wanted.keys.end()) expected[render_key_line(public_key_of(key->second), p.options)] = p.key;
    }
    std::set<std::string> seen;
    for (const auto& line : file.parsed.managed) {
        if (!line.is_key) continue;
        FoundKey k = found(line, wanted, true);
        auto it = expected.find(line.raw);
        if (it != expected.end() && seen.insert(line.raw).second) continue;
        (k.key_name.empty() ? out.unknown : out.unexpected).push_back(k);
    }
    for (const auto& [line, name] : expected)
        if (!seen.contains(line)) out.missing.push_back(name);
    for (const auto& line : unmanaged_keys(file.parsed)) {
        FoundKey k = found(line, wanted, false);
        // The key clusterctl logs in with is known since `node add`: a fresh
        // cluster audits in sync, and sync --exclusive never removes it.
        k.login_key = !out.protected_login_key.empty() && k.fingerprint == out.protected_login_key;
        out.outside.push_back(k);
        if (k.key_name.empty() && !k.login_key) out.unknown.push_back(k);
        if (out.protected_login_key.empty() || k.fingerprint != out.protected_login_key) out.removable.push_back(k);
    }
}

Result<std::vector<NodeResult<AccountAudit>>> audit(OpsContext& ctx, const std::vector<Node>& nodes,
                                        const std::vector<std::vector<std::string>>& users, const Wanted& wanted) {
    return for_each_account<AccountAudit>(
        ctx, nodes, users, [&](Connection& c, const Node& node, const std::string& user, AccountAudit& out) -> Result<void> {
            auto file = read_authorized_keys(c, user, ctx.settings.command_timeout);
            if (!file) return std::unexpected(file.error());
            out.login_account = file->is_login_account();
            if (out.login_account) out.protected_login_key = c.login_key_fingerprint();
            audit_file(*file, wanted, node.name, out);
            return {};
        });
}

// Names (or fingerprints, for keys the inventory does not know) of the key
// lines in `lines`.
std::set<std::string> key_labels(const std::vector<AuthorizedKeyLine>& lines, const Wanted& wanted) {
    std::set<std::string> out;
    for (const auto& line : lines) {
        if (!line.is_key) continue;
        FoundKey k = found(line, wanted, true);
        out.insert(k.key_name.empty() ? k.fingerprint : k.key_name);
    }
    return out;
}

// The nodes, the accounts on each, and what the inventory wants there.
struct Scope {
    std::vector<Node> nodes;
    std::vector<std::vector<std::string>> users;
    Wanted wanted;
};

Result<Scope> load_scope(OpsContext& ctx, const std::string& nodeset, const std::string& remote_user) {
    auto nodes = resolve_nodes(ctx, nodeset);
    if (!nodes) return std::unexpected(nodes.error());
    auto users = accounts_per_node(ctx, *nodes, remote_user);
    if (!users) return std::unexpected(users.error());
    auto wanted = load_wanted(ctx);
    if (!wanted) return std::unexpected(wanted.error());
    return Scope{std::move(*nodes), std::move(*users), std::move(*wanted)};
}

}  // namespace

Result<std::vector<NodeResult<AccountAudit>>> key_audit(OpsContext& ctx, const KeyAuditRequest& request) {
    auto scope = load_scope(ctx, request.nodeset, request.remote_user);
    if (!scope) return std::unexpected(scope.error());
    return audit(ctx, scope->nodes, scope->users, scope->wanted);
}

Result<KeySyncResult> key_sync(OpsContext& ctx, const KeySyncRequest& request) {
    auto scope = load_scope(ctx, request.nodeset, request.remote_user);
    if (!scope) return std::unexpected(scope.error());
    const auto& nodes = scope->nodes;
    const auto& users = scope->users;
    const Wanted* wanted = &scope->wanted;

    KeySyncResult result;
    // Removing keys outside the block is shown first; only what was shown is removed.
    std::map<std::pair<std::string, std::string>, const NodeResult<AccountAudit>*> planned;
    if (request.exclusive || request.dry_run) {
        auto plan = audit(ctx, nodes, users, *wanted);
        if (!plan) return std::unexpected(plan.error());
        result.plan = std::move(*plan);
        if (request.dry_run) return result;
        for (const auto& a : result.plan) planned[{a.node, a.value.remote_user}] = &a;
        if (request.confirm_removals && !request.confirm_removals(result.plan)) {
            result.confirmed = false;
            return result;
        }
    }

    result.outcomes = for_each_account<AccountEdit>(
        ctx, nodes, users, [&](Connection& c, const Node& node, const std::string& user, AccountEdit& out) -> Result<void> {
            KeysEdit edit;
            edit.managed_lines = recorded_lines(wanted->placements, wanted->keys, node.name, user);
            if (request.exclusive) {
                const NodeResult<AccountAudit>* seen = planned[{node.name, user}];
                if (!seen || seen->status != NodeStatus::ok)
                    return fail(ErrorKind::remote, fmt::format("not synced: reading it failed first ({})",
                                                               seen ? seen->error : "not read"));
                for (const auto& k : seen->value.removable) edit.drop_unmanaged.push_back(k.fingerprint);
            }
            std::set<std::string> before, after;
            auto edited = edit_authorized_keys(
                c, user,
                [&](const RemoteAuthorizedKeys& current) -> Result<KeysEdit> {
                    if (auto ok = keep_login_key(c, true, current, edit); !ok)
                        return std::unexpected(ok.error());
                    auto old_keys = key_labels(current.parsed.managed, *wanted);
                    for (const auto& l : unmanaged_keys(current.parsed)) {
                        FoundKey k = found(l, *wanted, false);
                        if (std::count(edit.drop_unmanaged.begin(), edit.drop_unmanaged.end(), k.fingerprint))
                            old_keys.insert(k.key_name.empty() ? k.fingerprint : k.key_name);
                    }
                    before = std::move(old_keys);
                    std::vector<AuthorizedKeyLine> lines;
                    for (const auto& l : edit.managed_lines) lines.push_back(parse_authorized_key_line(l));
                    after = key_labels(lines, *wanted);
                    return edit;
                },
                ctx.settings.command_timeout);
            if (!edited) return std::unexpected(edited.error());
            out.changed = edited->changed;
            if (!out.changed) return {};
            std::set_difference(after.begin(), after.end(), before.begin(), before.end(), std::back_inserter(out.added));
            std::set_difference(before.begin(), before.end(), after.begin(), after.end(),
                                std::back_inserter(out.removed));
            return {};
        });
    return result;
}

}  // namespace cc
