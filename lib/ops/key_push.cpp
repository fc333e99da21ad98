// key push | revoke | rm | rotate: edits of the managed block, merged with
// what the node has now (so concurrent pushes keep each other's keys), then
// recorded in the inventory for the accounts that succeeded.
#include <algorithm>
#include <mutex>
#include <set>

#include <fmt/format.h>

#include "config/paths.hpp"
#include "core/local_paths.hpp"
#include "core/sha256.hpp"
#include "keys/authorized_keys.hpp"
#include "ops/key_common.hpp"
#include "ops/keys.hpp"
#include "ssh/host_key.hpp"
#include "ssh/private_key.hpp"

namespace cc {

using namespace keyops;

namespace {

struct PushLine {
    KeyRecord key;
    std::string line;
};

// The block with each pushed key in place (replacing its old line, so new
// options take effect) or appended; `added` gets the keys whose line changed.
KeysEdit plan_push(const RemoteAuthorizedKeys& current, const std::vector<PushLine>& push,
                   std::vector<std::string>& added) {
    KeysEdit edit;
    std::set<std::string> placed;
    added.clear();
    for (const auto& line : current.parsed.managed) {
        std::string fp = line.is_key ? line_fingerprint(line) : "";
        auto it = std::find_if(push.begin(), push.end(), [&](const PushLine& p) { return p.key.fingerprint == fp; });
        if (it == push.end()) {
            edit.managed_lines.push_back(line.raw);
        } else if (placed.insert(fp).second) {
            edit.managed_lines.push_back(it->line);
            if (line.raw != it->line) added.push_back(it->key.name);
        }
    }
    for (const auto& p : push)
        if (placed.insert(p.key.fingerprint).second) {
            edit.managed_lines.push_back(p.line);
            added.push_back(p.key.name);
        }
    return edit;
}

KeysEdit unchanged(const RemoteAuthorizedKeys& current) {
    KeysEdit edit;
    for (const auto& line : current.parsed.managed) edit.managed_lines.push_back(line.raw);
    return edit;
}

// The block without `key`; says so in `removed`.
KeysEdit plan_revoke(const RemoteAuthorizedKeys& current, const KeyRecord& key, std::vector<std::string>& removed) {
    KeysEdit edit;
    removed.clear();
    for (const auto& line : current.parsed.managed) {
        if (line.is_key && line_fingerprint(line) == key.fingerprint) {
            if (removed.empty()) removed.push_back(key.name);
            continue;
        }
        edit.managed_lines.push_back(line.raw);
    }
    return edit;
}

std::vector<std::string> copies_outside(const RemoteAuthorizedKeys& file, const KeyRecord& key) {
    std::vector<std::string> notes;
    for (const auto& line : unmanaged_keys(file.parsed))
        if (line_fingerprint(line) == key.fingerprint)
            notes.push_back(fmt::format("\"{}\" is also in {} outside the managed block: logins with it still work "
                                        "(`key sync --exclusive` removes it)",
                                        key.name, file.path()));
    return notes;
}

// Takes `key` out of `user`'s block. guard_login_key: refuse if that would
// remove the key this connection logged in with from the login account (see keep_login_key).
Result<void> revoke_in(Connection& c, const std::string& user, bool guard_login_key, const KeyRecord& key,
                       AccountEdit& out, std::chrono::milliseconds timeout) {
    std::vector<std::string> removed;
    auto edited = edit_authorized_keys(
        c, user,
        [&](const RemoteAuthorizedKeys& current) -> Result<KeysEdit> {
            KeysEdit edit = plan_revoke(current, key, removed);
            if (auto ok = keep_login_key(c, guard_login_key, current, edit); !ok) return std::unexpected(ok.error());
            return edit;
        },
        timeout);
    if (!edited) return std::unexpected(edited.error());
    out.removed = std::move(removed);
    out.changed = out.changed || edited->changed;
    auto outside = copies_outside(edited->before, key);
    out.notes.insert(out.notes.end(), outside.begin(), outside.end());
    return {};
}

Result<std::vector<KeyRecord>> get_keys(OpsContext& ctx, const std::vector<std::string>& names) {
    std::vector<KeyRecord> keys;
    for (const auto& name : names) {
        auto key = ctx.inventory.keys().get(name);
        if (!key) return std::unexpected(key.error());
        keys.push_back(std::move(*key));
    }
    return keys;
}

// Commits what succeeded; the outcomes are the report either way.
Result<std::vector<NodeResult<AccountEdit>>> record(OpsContext& ctx, std::vector<NodeResult<AccountEdit>> outcomes,
                                           const std::vector<KeyPlacement>& set,
                                           const std::vector<KeyPlacement>& removed) {
    if (auto r = ctx.inventory.keys().record_placements(set, removed); !r) return std::unexpected(r.error());
    return outcomes;
}

}  // namespace

Result<std::vector<NodeResult<AccountEdit>>> key_push(OpsContext& ctx, const KeyPushRequest& request) {
    if (request.keys.empty()) return fail(ErrorKind::invalid_input, "no key named (key push KEY… --to NODESET)");
    if (auto ok = validate_key_options(request.options); !ok) return std::unexpected(ok.error());
    if (!request.remote_user.empty())
        if (auto ok = validate_remote_user(request.remote_user); !ok) return std::unexpected(ok.error());
    auto keys = get_keys(ctx, request.keys);
    if (!keys) return std::unexpected(keys.error());
    auto nodes = resolve_nodes(ctx, request.nodeset);
    if (!nodes) return std::unexpected(nodes.error());

    std::vector<PushLine> push;
    for (const auto& k : *keys)
        if (std::none_of(push.begin(), push.end(), [&](const PushLine& p) { return p.key.name == k.name; }))
            push.push_back({k, render_key_line(public_key_of(k), request.options)});
    std::vector<std::vector<std::string>> users;
    for (const auto& n : *nodes) users.push_back({request.remote_user.empty() ? n.user : request.remote_user});

    auto outcomes = for_each_account<AccountEdit>(
        ctx, *nodes, users, [&](Connection& c, const Node&, const std::string& user, AccountEdit& out) -> Result<void> {
            std::vector<std::string> added;
            auto edited = edit_authorized_keys(
                c, user, [&](const RemoteAuthorizedKeys& current) { return Result<KeysEdit>(plan_push(current, push, added)); },
                ctx.settings.command_timeout);
            if (!edited) return std::unexpected(edited.error());
            out.added = std::move(added);
            out.changed = edited->changed;
            return {};
        });
    std::vector<KeyPlacement> set;
    const std::string now = utc_now_iso8601();
    for (const auto& o : outcomes)
        if (o.status == NodeStatus::ok)
            for (const auto& p : push) set.push_back({p.key.name, o.node, o.value.remote_user, request.options, now});
    return record(ctx, std::move(outcomes), set, {});
}

Result<std::vector<NodeResult<AccountEdit>>> key_revoke(OpsContext& ctx, const KeyRevokeRequest& request) {
    auto key = ctx.inventory.keys().get(request.key);
    if (!key) return std::unexpected(key.error());
    auto nodes = resolve_nodes(ctx, request.nodeset);
    if (!nodes) return std::unexpected(nodes.error());
    auto users = accounts_per_node(ctx, *nodes, request.remote_user);
    if (!users) return std::unexpected(users.error());
    if (request.confirm) {
        AccountList accounts;
        for (std::size_t i = 0; i < nodes->size(); ++i)
            for (const auto& u : (*users)[i]) accounts.emplace_back((*nodes)[i].name, u);
        if (!request.confirm(accounts)) return std::vector<NodeResult<AccountEdit>>{};
    }
    auto outcomes = for_each_account<AccountEdit>(
        ctx, *nodes, *users, [&](Connection& c, const Node&, const std::string& user, AccountEdit& out) {
            return revoke_in(c, user, true, *key, out, ctx.settings.command_timeout);
        });
    std::vector<KeyPlacement> removed;
    for (const auto& o : outcomes)
        if (o.status == NodeStatus::ok) removed.push_back({key->name, o.node, o.value.remote_user, "", ""});
    return record(ctx, std::move(outcomes), {}, removed);
}

Result<KeyRemoveResult> key_remove(OpsContext& ctx, const std::string& name, bool keep_on_nodes) {
    auto details = key_show(ctx, name);
    if (!details) return std::unexpected(details.error());
    KeyRemoveResult result;
    if (!keep_on_nodes && !details->placements.empty()) {
        auto all = ctx.inventory.nodes().list();
        if (!all) return std::unexpected(all.error());
        std::vector<Node> nodes;
        std::vector<std::vector<std::string>> users;
        for (const auto& node : *all) {
            std::vector<std::string> here;
            for (const auto& p : details->placements)
                if (p.node == node.name) here.push_back(p.remote_user);
            if (here.empty()) continue;
            nodes.push_back(node);
            users.push_back(std::move(here));
        }
        result.outcomes = for_each_account<AccountEdit>(
            ctx, nodes, users, [&](Connection& c, const Node&, const std::string& user, AccountEdit& out) {
                return revoke_in(c, user, true, details->key, out, ctx.settings.command_timeout);
            });
        bool all_ok = std::all_of(result.outcomes.begin(), result.outcomes.end(),
                                  [](const NodeResult<AccountEdit>& o) { return o.status == NodeStatus::ok; });
        if (!all_ok) {
            // Keep the key (and where it still is) so `key rm` can be run again.
            std::vector<KeyPlacement> removed;
            for (const auto& o : result.outcomes)
                if (o.status == NodeStatus::ok) removed.push_back({name, o.node, o.value.remote_user, "", ""});
            if (auto r = ctx.inventory.keys().record_placements({}, removed); !r) return std::unexpected(r.error());
            return result;
        }
    }
    if (auto r = ctx.inventory.keys().remove(name); !r) return std::unexpected(r.error());
    result.removed_from_inventory = true;
    return result;
}

namespace {

std::string private_key_fingerprint(const std::string& path) {
    PrivateKeyInfo info = inspect_private_key(path);
    std::string blob = info.readable ? public_key_blob(path, info) : "";
    return blob.empty() ? "" : sha256_fingerprint(blob);
}

std::string find_private_key(const std::vector<std::string>& candidates, const std::string& fingerprint) {
    for (const auto& c : candidates) {
        std::string path = expand_home(c);
        if (private_key_fingerprint(path) == fingerprint) return path;
    }
    return "";
}

// Logs in as `user` with NEW's private key alone, where clusterctl has it
// (and NEW is not RSA, which libssh2 1.10 cannot use against OpenSSH >= 8.8);
// otherwise notes that the login was not verified. Returns whether clusterctl
// itself will log in with NEW from now on (a verified login with a key among
// its own identity files).
Result<bool> verify_login(OpsContext& ctx, const Node& node, const std::string& user,
                          const std::vector<std::string>& extra_identities, const KeyRecord& old_key,
                          const KeyRecord& new_key, AccountEdit& out) {
    Target target = target_for(ctx, node);
    if (new_key.type == "ssh-rsa") {
        out.notes.push_back(fmt::format("login with \"{}\" not verified: clusterctl's libssh2 1.10 cannot log in "
                                        "with RSA keys to OpenSSH >= 8.8 (ssh -i works)",
                                        new_key.name));
        return false;
    }
    std::vector<std::string> candidates = extra_identities;
    candidates.insert(candidates.end(), target.identity_files.begin(), target.identity_files.end());
    std::string private_key = find_private_key(candidates, new_key.fingerprint);
    if (private_key.empty()) {
        out.notes.push_back(fmt::format("login with \"{}\" not verified: its private key is not available to "
                                        "clusterctl (give --identity FILE)",
                                        new_key.name));
        return false;
    }
    const bool own_identity = !find_private_key(target.identity_files, new_key.fingerprint).empty();
    target.user = user;
    target.identity_files = {private_key};
    target.use_agent = false;
    auto login = ctx.transport.connect(target, pinned_check(ctx, node), connect_options(ctx));
    out.login_verified = login.has_value();
    if (!login)
        return fail(ErrorKind::auth, fmt::format("\"{}\" was pushed but a login with it failed, so \"{}\" was kept: {}",
                                                 new_key.name, old_key.name, login.error().message));
    return own_identity;
}

}  // namespace

Result<std::vector<NodeResult<AccountEdit>>> key_rotate(OpsContext& ctx, const KeyRotateRequest& request) {
    auto keys = get_keys(ctx, {request.old_key, request.new_key});
    if (!keys) return std::unexpected(keys.error());
    const KeyRecord& old_key = (*keys)[0];
    const KeyRecord& new_key = (*keys)[1];
    if (old_key.name == new_key.name) return fail(ErrorKind::invalid_input, "OLD and NEW are the same key");
    auto nodes = resolve_nodes(ctx, request.nodeset);
    if (!nodes) return std::unexpected(nodes.error());
    auto placements = ctx.inventory.keys().placements();
    if (!placements) return std::unexpected(placements.error());

    // Where OLD is recorded; on other nodes, the login user (in case OLD is in
    // the block without the inventory knowing).
    std::vector<std::vector<std::string>> users;
    std::map<std::pair<std::string, std::string>, std::string> old_options;
    for (const auto& n : *nodes) {
        std::vector<std::string> here;
        for (const auto& p : *placements)
            if (p.key == old_key.name && p.node == n.name) {
                here.push_back(p.remote_user);
                old_options[{n.name, p.remote_user}] = p.options;
            }
        if (here.empty()) here.push_back(n.user);
        users.push_back(std::move(here));
    }

    // NEW gets the options OLD had (recorded, else as found in the block).
    std::mutex options_mutex;
    std::map<std::pair<std::string, std::string>, std::string> new_options;
    auto outcomes = for_each_account<AccountEdit>(
        ctx, *nodes, users, [&](Connection& c, const Node& node, const std::string& user, AccountEdit& out) -> Result<void> {
            const auto timeout = ctx.settings.command_timeout;
            bool old_in_block = false;
            std::vector<std::string> added;
            std::string options;
            auto pushed = edit_authorized_keys(
                c, user,
                [&](const RemoteAuthorizedKeys& current) -> Result<KeysEdit> {
                    options.clear();
                    old_in_block = false;
                    for (const auto& line : current.parsed.managed)
                        if (line.is_key && line_fingerprint(line) == old_key.fingerprint) {
                            old_in_block = true;
                            options = line.options;
                        }
                    if (auto it = old_options.find({node.name, user}); it != old_options.end()) options = it->second;
                    if (!old_in_block) return unchanged(current);
                    return plan_push(current, {{new_key, render_key_line(public_key_of(new_key), options)}}, added);
                },
                timeout);
            if (!pushed) return std::unexpected(pushed.error());
            if (old_in_block) {
                std::lock_guard lock(options_mutex);
                new_options[{node.name, user}] = options;
            }
            if (!old_in_block) {
                out.notes.push_back(fmt::format("\"{}\" is not in the managed block here: nothing to rotate",
                                                old_key.name));
                return {};
            }
            out.changed = pushed->changed;
            out.added = {new_key.name};  // in place now (changed or not): recorded below

            auto clusterctl_uses_new = verify_login(ctx, node, user, request.identity_files, old_key, new_key, out);
            if (!clusterctl_uses_new) return std::unexpected(clusterctl_uses_new.error());
            // Taking out the key clusterctl logs in with is safe only when
            // clusterctl will find the new one by itself next time.
            return revoke_in(c, user, !*clusterctl_uses_new, old_key, out, timeout);
        });

    std::vector<KeyPlacement> set, removed;
    const std::string now = utc_now_iso8601();
    for (const auto& o : outcomes) {
        // NEW is on the node as soon as the push step worked, even if OLD stayed.
        if (!o.value.added.empty()) set.push_back({new_key.name, o.node, o.value.remote_user, new_options[{o.node, o.value.remote_user}], now});
        if (o.status == NodeStatus::ok) removed.push_back({old_key.name, o.node, o.value.remote_user, "", ""});
    }
    return record(ctx, std::move(outcomes), set, removed);
}

}  // namespace cc
