// `clusterctl key …`: the public key registry and authorized_keys on nodes.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "app.hpp"
#include "confirm.hpp"
#include "core/nodeset.hpp"
#include "core/strings.hpp"
#include "exit_codes.hpp"
#include "nodeset_option.hpp"
#include "ops/keys.hpp"
#include "views/key_view.hpp"

namespace cc::cli {

namespace {

using AccountResult = NodeResult<AccountEdit>;  // one per (node, account)
using AuditResult = NodeResult<AccountAudit>;

std::string describe_found(const FoundKey& k) {
    return fmt::format("{} {}{}{}{}", k.type, k.fingerprint, k.comment.empty() ? "" : " " + k.comment,
                       k.key_name.empty() ? "" : " (key \"" + k.key_name + "\")",
                       k.login_key ? " (clusterctl's login key)" : "");
}

// The lines behind the counts: which keys, where.
void print_audit_details(const Printer& p, const std::vector<AuditResult>& audits) {
    for (const auto& a : audits) {
        for (const auto& k : a.value.unknown)
            p.line(fmt::format("{} {}: unknown key {}: {}", a.node, a.value.remote_user,
                               k.in_block ? "in the managed block" : "outside the block", describe_found(k)));
        for (const auto& k : a.value.unexpected)
            p.line(fmt::format("{} {}: not recorded here (or other options): {}", a.node, a.value.remote_user,
                               describe_found(k)));
        for (const auto& m : a.value.missing) p.line(fmt::format("{} {}: missing: key \"{}\"", a.node, a.value.remote_user, m));
    }
}

std::string outcomes_summary(const std::vector<AccountResult>& outcomes) {
    std::size_t changed = 0, failed = 0;
    std::vector<std::string> failed_nodes;
    for (const auto& o : outcomes) {
        changed += o.status == NodeStatus::ok && o.value.changed;
        if (o.status != NodeStatus::ok) {
            ++failed;
            failed_nodes.push_back(o.node);
        }
    }
    std::string text = fmt::format("{} account(s): {} changed, {} unchanged, {} failed", outcomes.size(), changed,
                                   outcomes.size() - changed - failed, failed);
    if (failed) text += " (" + fold_nodeset(failed_nodes) + ")";
    return text;
}

void print_outcomes(const Printer& p, const std::vector<AccountResult>& outcomes) {
    p.table(outcomes, account_outcome_columns());
    for (const auto& o : outcomes)
        for (const auto& n : o.value.notes) p.note(fmt::format("{} {}: {}", o.node, o.value.remote_user, n));
    p.note(outcomes_summary(outcomes));
}

// Every per-node key command ends the same way.
Result<int> report_outcomes(App& ctx, const Result<std::vector<AccountResult>>& outcomes) {
    if (!outcomes) return std::unexpected(outcomes.error());
    const Printer& p = ctx.printer();
    if (p.format == Format::json) p.json(json_array(*outcomes, account_outcome_columns()));
    else print_outcomes(p, *outcomes);
    return fanout_exit_code(*outcomes);
}

Result<std::string> read_public_key_input(const std::string& source) {
    std::ostringstream text;
    if (source == "-") {
        text << std::cin.rdbuf();
    } else {
        std::ifstream file(source);
        if (!file) return fail(ErrorKind::io, fmt::format("cannot read public key file \"{}\"", source));
        text << file.rdbuf();
    }
    return text.str();
}

// A long-running command body with the ops context opened.
template <class F>
std::function<void()> body(App& ctx, F f) {
    return [&ctx, f] {
        run_command(ctx, [&]() -> Result<int> {
            auto ops = ctx.ops();
            if (!ops) return std::unexpected(ops.error());
            return f(**ops, ctx.printer());
        });
    };
}

void add_add(CLI::App& group, App& ctx) {
    auto req = std::make_shared<KeyAddRequest>();
    auto source = std::make_shared<std::string>();
    auto comment = std::make_shared<std::string>();
    auto* cmd = group.add_subcommand("add", "register a public key (ed25519, ecdsa, rsa >= 2048, sk-)");
    cmd->add_option("name", req->name, "key name ([A-Za-z0-9._-])")->required();
    cmd->add_option("--public-key", *source, "public key file (e.g. id_ed25519.pub), or - for stdin")->required();
    cmd->add_option("--owner", req->owner, "who the key belongs to");
    auto* c = cmd->add_option("--comment", *comment, "comment written after the key (default: the key's own)");
    cmd->callback(body(ctx, [req, source, comment, c](OpsContext& ops, const Printer& p) -> Result<int> {
        auto text = read_public_key_input(*source);
        if (!text) return std::unexpected(text.error());
        req->public_key_text = *text;
        req->source = *source == "-" ? "stdin" : *source;
        if (c->count()) req->comment = *comment;
        auto key = key_add(ops, *req);
        if (!key) return std::unexpected(key.error());
        if (p.format == Format::json) p.json(key_json({*key, {}}));
        else
            p.line(fmt::format("added key {} ({} {}{})", key->name, key->type, key->fingerprint,
                               key->owner.empty() ? "" : ", owner " + key->owner));
        return kExitOk;
    }));
}

void add_ls(CLI::App& group, App& ctx) {
    auto* cmd = group.add_subcommand("ls", "list registered keys and where they are pushed");
    cmd->alias("list");
    cmd->callback(body(ctx, [](OpsContext& ops, const Printer& p) -> Result<int> {
        auto keys = key_list(ops);
        if (!keys) return std::unexpected(keys.error());
        p.list(*keys, key_columns());
        return kExitOk;
    }));
}

void add_show(CLI::App& group, App& ctx) {
    auto name = std::make_shared<std::string>();
    auto* cmd = group.add_subcommand("show", "show one key and every account it is pushed to");
    cmd->add_option("name", *name, "key name")->required();
    cmd->callback(body(ctx, [name](OpsContext& ops, const Printer& p) -> Result<int> {
        auto d = key_show(ops, *name);
        if (!d) return std::unexpected(d.error());
        if (p.format == Format::json) {
            p.json(key_json(*d));
            return kExitOk;
        }
        auto kv = [&](const char* key, const std::string& value) { p.line(fmt::format("{:<13}{}", key, value)); };
        kv("Name:", d->key.name);
        kv("Type:", d->key.type);
        kv("Fingerprint:", d->key.fingerprint);
        kv("Owner:", d->key.owner.empty() ? "-" : d->key.owner);
        kv("Comment:", d->key.comment.empty() ? "-" : d->key.comment);
        kv("Added:", d->key.created_at);
        kv("Public key:", d->key.type + " " + d->key.base64);
        if (d->placements.empty()) {
            kv("Pushed to:", "-");
            return kExitOk;
        }
        p.line("");
        p.table(d->placements, placement_columns());
        return kExitOk;
    }));
}

// Where a removal will reach, one line per account, for the confirmation.
std::vector<std::string> revoke_plan(const std::string& key, const AccountList& accounts) {
    std::vector<std::string> plan;
    for (const auto& [node, user] : accounts)
        plan.push_back(fmt::format("{} {}: take key \"{}\" out of the managed block", node, user, key));
    return plan;
}

void add_rm(CLI::App& group, App& ctx) {
    auto name = std::make_shared<std::string>();
    auto keep = std::make_shared<bool>(false);
    auto ask = std::make_shared<ConfirmRequest>();
    auto* cmd = group.add_subcommand("rm", "revoke a key from every node it was pushed to, then forget it");
    cmd->alias("remove");
    cmd->add_option("name", *name, "key name")->required();
    cmd->add_flag("--keep-on-nodes", *keep, "only forget it: leave it in authorized_keys on the nodes");
    cmd->add_flag("-y,--yes", ask->yes, "do not ask");
    cmd->add_flag("--dry-run", ask->dry_run, "only show what would be done");
    cmd->callback(body(ctx, [name, keep, ask](OpsContext& ops, const Printer& p) -> Result<int> {
        auto shown = key_show(ops, *name);
        if (!shown) return std::unexpected(shown.error());
        AccountList accounts;
        if (!*keep)
            for (const auto& pl : shown->placements) accounts.emplace_back(pl.node, pl.remote_user);
        ConfirmRequest request = *ask;
        request.plan = revoke_plan(*name, accounts);
        request.plan.push_back(fmt::format("forget key \"{}\" ({}){}", *name, shown->key.fingerprint,
                                           *keep && !shown->placements.empty() ? ", left on the nodes it was pushed to" : ""));
        request.question = fmt::format("Remove key \"{}\"?", *name);
        const Confirmation answer = confirm(p, request);
        if (answer == Confirmation::dry_run) return kExitOk;
        if (answer != Confirmation::proceed) return std::unexpected(not_confirmed(answer, "key rm"));
        auto removed = key_remove(ops, *name, *keep);
        if (!removed) return std::unexpected(removed.error());
        if (p.format == Format::json) {
            p.json({{"key", *name},
                    {"removed", removed->removed_from_inventory},
                    {"accounts", json_array(removed->outcomes, account_outcome_columns())}});
        } else {
            if (!removed->outcomes.empty()) print_outcomes(p, removed->outcomes);
            p.line(removed->removed_from_inventory
                       ? fmt::format("removed key {}", *name)
                       : fmt::format("key {} kept in the inventory: some nodes still have it (run key rm again)",
                                     *name));
        }
        return fanout_exit_code(removed->outcomes, {.found_trouble = !removed->removed_from_inventory});
    }));
}

void add_push(CLI::App& group, App& ctx) {
    auto req = std::make_shared<KeyPushRequest>();
    auto* cmd = group.add_subcommand("push", "put keys into the managed block of authorized_keys on nodes");
    cmd->add_option("keys", req->keys, "KEY…")->required();
    add_nodeset_option(*cmd, "--to", req->nodeset, "NODESET")->required();
    cmd->add_option("--remote-user", req->remote_user, "whose authorized_keys (default: each node's login user)");
    cmd->add_option("--options", req->options, "authorized_keys options, e.g. 'from=\"10.0.0.0/8\",no-pty'");
    cmd->callback(body(ctx, [&ctx, req](OpsContext& ops, const Printer&) { return report_outcomes(ctx, key_push(ops, *req)); }));
}

void add_revoke(CLI::App& group, App& ctx) {
    auto req = std::make_shared<KeyRevokeRequest>();
    auto ask = std::make_shared<ConfirmRequest>();
    auto* cmd = group.add_subcommand("revoke", "take a key out of the managed block on nodes");
    cmd->add_option("key", req->key, "KEY")->required();
    add_nodeset_option(*cmd, "--from", req->nodeset, "NODESET")->required();
    cmd->add_option("--remote-user", req->remote_user,
                    "only this user's authorized_keys (default: every account clusterctl manages there)");
    cmd->add_flag("-y,--yes", ask->yes, "do not ask");
    cmd->add_flag("--dry-run", ask->dry_run, "only show which accounts would be edited");
    cmd->callback(body(ctx, [&ctx, req, ask](OpsContext& ops, const Printer& p) -> Result<int> {
        Confirmation answer = Confirmation::proceed;
        req->confirm = [&](const AccountList& accounts) {
            ConfirmRequest request = *ask;
            request.plan = revoke_plan(req->key, accounts);
            request.question = fmt::format("Revoke key \"{}\" from {} account(s)?", req->key, accounts.size());
            answer = confirm(p, request);
            return answer == Confirmation::proceed;
        };
        auto outcomes = key_revoke(ops, *req);
        if (outcomes && answer == Confirmation::dry_run) return kExitOk;
        if (outcomes && answer != Confirmation::proceed) return std::unexpected(not_confirmed(answer, "key revoke"));
        return report_outcomes(ctx, outcomes);
    }));
}

void add_rotate(CLI::App& group, App& ctx) {
    auto req = std::make_shared<KeyRotateRequest>();
    auto* cmd = group.add_subcommand("rotate", "push NEW where OLD is, verify a login with NEW, then revoke OLD");
    cmd->add_option("old", req->old_key, "OLD key")->required();
    cmd->add_option("new", req->new_key, "NEW key")->required();
    add_nodeset_option(*cmd, "--on", req->nodeset, "NODESET")->required();
    cmd->add_option("--identity", req->identity_files, "NEW's private key file, to verify the login (repeatable)");
    cmd->callback(body(ctx, [&ctx, req](OpsContext& ops, const Printer&) { return report_outcomes(ctx, key_rotate(ops, *req)); }));
}

void add_audit(CLI::App& group, App& ctx) {
    auto req = std::make_shared<KeyAuditRequest>();
    auto* cmd = group.add_subcommand("audit", "compare authorized_keys on nodes with the inventory (exit 3 on drift)");
    add_nodeset_option(*cmd, "nodeset", req->nodeset, "NODESET")->required();
    cmd->add_option("--remote-user", req->remote_user, "only this user's authorized_keys");
    cmd->callback(body(ctx, [req](OpsContext& ops, const Printer& p) -> Result<int> {
        auto audits = key_audit(ops, *req);
        if (!audits) return std::unexpected(audits.error());
        std::size_t drift = 0, failed = 0;
        for (const auto& a : *audits) {
            failed += a.status != NodeStatus::ok;
            drift += a.status == NodeStatus::ok && a.value.drift();
        }
        p.list(*audits, audit_columns());
        if (p.format != Format::json) print_audit_details(p, *audits);
        p.note(fmt::format("{} account(s): {} in sync, {} drifted, {} failed", audits->size(),
                           audits->size() - drift - failed, drift, failed));
        return fanout_exit_code(*audits, {.found_trouble = drift > 0});
    }));
}

// sync --exclusive: show what goes, then ask (a terminal) or require --yes.
Confirmation confirm_removals(const Printer& p, const std::vector<AuditResult>& plan, bool yes) {
    ConfirmRequest request;
    request.yes = yes;
    for (const auto& a : plan)
        for (const auto& k : a.value.removable)
            request.plan.push_back(fmt::format("{} {}: will remove (outside the managed block): {}", a.node,
                                               a.value.remote_user, describe_found(k)));
    request.question = fmt::format("Remove these {} key(s)?", request.plan.size());
    for (const auto& a : plan)
        if (!a.value.protected_login_key.empty())
            p.note(fmt::format("{} {}: keeping {} (clusterctl logs in with it)", a.node, a.value.remote_user,
                               a.value.protected_login_key));
    return confirm(p, request);
}

void add_sync(CLI::App& group, App& ctx) {
    auto req = std::make_shared<KeySyncRequest>();
    auto yes = std::make_shared<bool>(false);
    auto* cmd = group.add_subcommand("sync", "make each node's managed block equal to the inventory");
    add_nodeset_option(*cmd, "nodeset", req->nodeset, "NODESET")->required();
    cmd->add_option("--remote-user", req->remote_user, "only this user's authorized_keys");
    cmd->add_flag("--exclusive", req->exclusive,
                  "also remove keys outside the block (shown first; never the key clusterctl logs in with)");
    cmd->add_flag("-y,--yes", *yes, "with --exclusive: remove without asking");
    cmd->add_flag("--dry-run", req->dry_run, "only show what differs (as key audit)");
    cmd->callback(body(ctx, [req, yes](OpsContext& ops, const Printer& p) -> Result<int> {
        Confirmation answer = Confirmation::proceed;
        req->confirm_removals = [&](const std::vector<AuditResult>& plan) {
            answer = confirm_removals(p, plan, *yes);
            return answer == Confirmation::proceed;
        };
        auto synced = key_sync(ops, *req);
        if (!synced) return std::unexpected(synced.error());
        if (!synced->confirmed) return std::unexpected(not_confirmed(answer, "key sync --exclusive"));
        if (p.format == Format::json) {
            p.json({{"dry_run", req->dry_run},
                    {"confirmed", synced->confirmed},
                    {"plan", json_array(synced->plan, audit_columns())},
                    {"accounts", json_array(synced->outcomes, account_outcome_columns())}});
        } else if (req->dry_run) {
            p.table(synced->plan, audit_columns());
            print_audit_details(p, synced->plan);
        } else if (synced->confirmed) {
            print_outcomes(p, synced->outcomes);
        }
        if (req->dry_run) {
            bool drift = std::any_of(synced->plan.begin(), synced->plan.end(),
                                     [](const AuditResult& a) { return a.value.drift(); });
            return fanout_exit_code(synced->plan, {.found_trouble = drift});
        }
        return fanout_exit_code(synced->outcomes);
    }));
}

}  // namespace

void add_key_commands(CLI::App& app, App& ctx) {
    auto* group = app.add_subcommand("key", "register SSH public keys and distribute them to nodes");
    group->require_subcommand(1);
    add_add(*group, ctx);
    add_ls(*group, ctx);
    add_show(*group, ctx);
    add_rm(*group, ctx);
    add_push(*group, ctx);
    add_revoke(*group, ctx);
    add_sync(*group, ctx);
    add_audit(*group, ctx);
    add_rotate(*group, ctx);
}

}  // namespace cc::cli
