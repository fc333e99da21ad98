// `clusterctl node …`: options → request → one ops call → printer.
#include <fmt/format.h>

#include "app.hpp"
#include "confirm.hpp"
#include "core/strings.hpp"
#include "core/units.hpp"
#include "exit_codes.hpp"
#include "nodeset_option.hpp"
#include "ops/user_admin.hpp"
#include "views/node_view.hpp"

namespace cc::cli {

namespace {

void print_node_details(const Printer& p, const Node& n) {
    auto kv = [&](const char* key, const std::string& value) { p.line(fmt::format("{:<13}{}", key, value)); };
    kv("Name:", n.name);
    kv("Host:", fmt::format("{}@{}:{}", n.user, n.host, n.port));
    kv("Host key:", n.host_key.type + " " + n.host_key.fingerprint);
    if (!n.identity.empty()) kv("Identity:", n.identity);
    kv("Labels:", labels_text(n));
    kv("Groups:", n.groups.empty() ? "-" : join(n.groups, ","));
    kv("Added:", n.created_at);
    kv("Cordoned:", n.cordoned ? "yes (no new instances)" : "no");
    if (!n.facts) return;
    const Facts& f = *n.facts;
    kv("Hostname:", f.hostname);
    kv("OS:", f.os);
    kv("Kernel:", f.kernel + " (" + f.arch + ")");
    kv("CPUs:", std::to_string(f.cpus));
    kv("Memory:", format_bytes(f.memory_bytes));
    kv("Disk /:", format_bytes(f.disk_free_bytes) + " free of " + format_bytes(f.disk_total_bytes));
    kv("Runtime:", f.runtime.empty() ? "none" : f.runtime + " " + f.runtime_version);
    kv("GPU driver:", f.gpu_driver.empty() ? (f.gpu_error.empty() ? "-" : "error: " + f.gpu_error) : f.gpu_driver);
    for (const auto& g : f.gpus)
        kv(fmt::format("GPU {}:", g.index).c_str(), fmt::format("{} {} ({} MiB)", g.uuid, g.name, g.memory_total_mib));
    kv("Facts from:", f.gathered_at);
}

void add_add(CLI::App& group, App& ctx) {
    auto req = std::make_shared<NodeAddRequest>();
    auto labels = std::make_shared<std::vector<std::string>>();
    auto* cmd = group.add_subcommand("add", "register a node: verify its host key, gather facts, store it");
    cmd->add_option("name", req->name, "node name ([A-Za-z0-9._-])")->required();
    cmd->add_option("--host", req->host, "host name or address")->required();
    cmd->add_option("--port", req->port, "SSH port (default 22)");
    cmd->add_option("--user", req->user, "remote user (default: config ssh.user)");
    cmd->add_option("--identity", req->identity, "private key used for this node only");
    cmd->add_option("--label", *labels, "label key=value (repeatable)");
    cmd->add_option("--group", req->groups, "group name (repeatable)");
    cmd->add_flag("--accept-new-host-key", req->accept_new_host_key, "pin the host key the node presents now");
    cmd->add_option("--host-key-fingerprint", req->host_key_fingerprint, "expected host key, SHA256:…");
    cmd->callback([&ctx, req, labels] {
        run_command(ctx, [&]() -> Result<int> {
            auto change = parse_label_args(*labels);
            if (!change) return std::unexpected(change.error());
            if (!change->remove.empty())
                return fail(ErrorKind::invalid_input, fmt::format("invalid label \"{}-\": nothing to remove on add",
                                                                  change->remove.front()));
            req->labels = change->set;
            auto ops = ctx.ops();
            if (!ops) return std::unexpected(ops.error());
            auto node = node_add(**ops, *req);
            if (!node) return std::unexpected(node.error());
            const Printer& p = ctx.printer();
            if (p.format == Format::json) p.json(node_json(*node));
            else
                p.line(fmt::format("added node {} ({}@{}:{}): {}, {}, {} GPU(s), host key {}", node->name, node->user,
                                   node->host, node->port, node->facts->hostname, node->facts->os,
                                   node->facts->gpus.size(), node->host_key.fingerprint));
            return kExitOk;
        });
    });
}

void add_ls(CLI::App& group, App& ctx) {
    auto nodesets = std::make_shared<std::vector<std::string>>();
    auto* cmd = group.add_subcommand("ls", "list registered nodes");
    cmd->alias("list");
    add_nodeset_option(*cmd, "nodeset", *nodesets, "NODESET, e.g. gpu[01-04],@group (default: all; several are joined by ',')");
    cmd->callback([&ctx, nodesets] {
        run_command(ctx, [&]() -> Result<int> {
            auto ops = ctx.ops();
            if (!ops) return std::unexpected(ops.error());
            auto nodes = node_list(**ops, nodesets->empty() ? std::nullopt : std::optional(join(*nodesets, ",")));
            if (!nodes) return std::unexpected(nodes.error());
            ctx.printer().list(*nodes, node_columns());
            return kExitOk;
        });
    });
}

void add_show(CLI::App& group, App& ctx) {
    auto name = std::make_shared<std::string>();
    auto* cmd = group.add_subcommand("show", "show one node and its facts");
    cmd->add_option("name", *name, "node name")->required();
    cmd->callback([&ctx, name] {
        run_command(ctx, [&]() -> Result<int> {
            auto ops = ctx.ops();
            if (!ops) return std::unexpected(ops.error());
            auto node = node_show(**ops, *name);
            if (!node) return std::unexpected(node.error());
            if (ctx.format() == Format::json) ctx.printer().json(node_json(*node));
            else print_node_details(ctx.printer(), *node);
            return kExitOk;
        });
    });
}

void add_rm(CLI::App& group, App& ctx) {
    struct Options {
        std::vector<std::string> nodesets;
        bool force = false, yes = false, dry_run = false;
    };
    auto opts = std::make_shared<Options>();
    auto* cmd = group.add_subcommand("rm", "remove nodes from the inventory (nothing is changed on the nodes)");
    cmd->alias("remove");
    add_nodeset_option(*cmd, "nodeset", opts->nodesets, "NODESET (several are joined by ',')")->required();
    cmd->add_flag("--force", opts->force, "remove even if instances are recorded on the node");
    cmd->add_flag("-y,--yes", opts->yes, "do not ask (needed without a terminal)");
    cmd->add_flag("--dry-run", opts->dry_run, "show which nodes would be removed, remove nothing");
    cmd->callback([&ctx, opts] {
        run_command(ctx, [&]() -> Result<int> {
            auto ops = ctx.ops();
            if (!ops) return std::unexpected(ops.error());
            std::string nodeset = join(opts->nodesets, ",");
            auto nodes = resolve_nodes(**ops, nodeset);
            if (!nodes) return std::unexpected(nodes.error());
            ConfirmRequest ask{{}, fmt::format("Remove {} node(s) from the inventory?", nodes->size()), opts->yes,
                               opts->dry_run};
            std::vector<std::string> names;
            for (const auto& n : *nodes) {
                ask.plan.push_back(fmt::format("remove node {} ({}@{}:{})", n.name, n.user, n.host, n.port));
                names.push_back(n.name);
            }
            auto decision = confirm(ctx.printer(), ask);
            if (decision == Confirmation::dry_run) {
                if (ctx.format() == Format::json) ctx.printer().json({{"removed", nlohmann::json::array()}, {"would_remove", names}});
                else ctx.printer().note("dry run: nothing removed");
                return kExitOk;
            }
            if (decision != Confirmation::proceed) return std::unexpected(not_confirmed(decision, "node rm"));
            auto removed = node_remove(**ops, join(names, ","), opts->force);
            if (!removed) return std::unexpected(removed.error());
            if (ctx.format() == Format::json) ctx.printer().json({{"removed", *removed}});
            else
                for (const auto& n : *removed) ctx.printer().line("removed node " + n);
            return kExitOk;
        });
    });
}

void add_facts(CLI::App& group, App& ctx) {
    auto nodeset = std::make_shared<std::string>();
    auto* cmd = group.add_subcommand("facts", "gather facts again on nodes and store them");
    add_nodeset_option(*cmd, "nodeset", *nodeset, "NODESET")->required();
    cmd->callback([&ctx, nodeset] {
        run_command(ctx, [&]() -> Result<int> {
            auto ops = ctx.ops();
            if (!ops) return std::unexpected(ops.error());
            auto outcomes = node_facts_refresh(**ops, *nodeset);
            if (!outcomes) return std::unexpected(outcomes.error());
            const Printer& p = ctx.printer();
            std::size_t failed = 0;
            for (const auto& o : *outcomes) failed += o.status == NodeStatus::ok ? 0 : 1;
            p.list(*outcomes, facts_outcome_columns());
            p.note(fmt::format("{} updated, {} failed", outcomes->size() - failed, failed));
            return fanout_exit_code(*outcomes);
        });
    });
}

void add_check(CLI::App& group, App& ctx) {
    auto nodeset = std::make_shared<std::string>();
    auto* cmd = group.add_subcommand("check", "check ssh, host key, container runtime, GPU driver and disk");
    add_nodeset_option(*cmd, "nodeset", *nodeset, "NODESET")->required();
    cmd->callback([&ctx, nodeset] {
        run_command(ctx, [&]() -> Result<int> {
            auto ops = ctx.ops();
            if (!ops) return std::unexpected(ops.error());
            auto reports = node_check(**ops, *nodeset);
            if (!reports) return std::unexpected(reports.error());
            const Printer& p = ctx.printer();
            std::size_t unhealthy = 0;
            for (const auto& r : *reports) unhealthy += r.status == NodeStatus::ok ? 0 : 1;
            p.list(*reports, check_columns());
            p.note(fmt::format("{} healthy, {} unhealthy", reports->size() - unhealthy, unhealthy));
            return fanout_exit_code(*reports);
        });
    });
}

void add_label(CLI::App& group, App& ctx) {
    auto nodeset = std::make_shared<std::string>();
    auto labels = std::make_shared<std::vector<std::string>>();
    auto* cmd = group.add_subcommand("label", "set (key=value) or remove (key-) labels on nodes");
    add_nodeset_option(*cmd, "nodeset", *nodeset, "NODESET")->required();
    cmd->add_option("labels", *labels, "key=value or key-")->required();
    cmd->callback([&ctx, nodeset, labels] {
        run_command(ctx, [&]() -> Result<int> {
            auto change = parse_label_args(*labels);
            if (!change) return std::unexpected(change.error());
            auto ops = ctx.ops();
            if (!ops) return std::unexpected(ops.error());
            auto updated = node_label(**ops, *nodeset, *change);
            if (!updated) return std::unexpected(updated.error());
            if (ctx.format() == Format::json) ctx.printer().json({{"updated", *updated}});
            else ctx.printer().line(fmt::format("labelled {} node(s): {}", updated->size(), join(*updated, ",")));
            return kExitOk;
        });
    });
}

void add_rekey(CLI::App& group, App& ctx) {
    auto name = std::make_shared<std::string>();
    auto fingerprint = std::make_shared<std::string>();
    auto yes = std::make_shared<bool>(false);
    auto dry_run = std::make_shared<bool>(false);
    auto* cmd = group.add_subcommand("rekey", "show a node's pinned and current host keys; pin the current one");
    cmd->add_option("name", *name, "node name")->required();
    cmd->add_option("--host-key-fingerprint", *fingerprint,
                    "refuse unless the new key has this SHA256 fingerprint (then no question is asked)");
    cmd->add_flag("--yes", *yes, "pin without asking");
    cmd->add_flag("--dry-run", *dry_run, "show both keys, change nothing");
    cmd->callback([&ctx, name, fingerprint, yes, dry_run] {
        run_command(ctx, [&]() -> Result<int> {
            auto ops = ctx.ops();
            if (!ops) return std::unexpected(ops.error());
            auto plan = node_rekey_plan(**ops, *name, *fingerprint);
            if (!plan) return std::unexpected(plan.error());
            bool changed = plan->old_key.base64 != plan->new_key.base64;
            bool pinned = false;
            if (changed) {
                // The fingerprint the user verified out of band is the answer to the question.
                auto answer = confirm(ctx.printer(),
                                      {{fmt::format("node {}: pinned  {} {}", plan->node, plan->old_key.type,
                                                    plan->old_key.fingerprint),
                                        fmt::format("node {}: now     {} {}", plan->node, plan->new_key.type,
                                                    plan->new_key.fingerprint)},
                                       fmt::format("Pin the new host key of node {}?", plan->node),
                                       *yes || !fingerprint->empty(), *dry_run});
                if (answer == Confirmation::declined || answer == Confirmation::no_terminal)
                    return std::unexpected(not_confirmed(answer, fmt::format("node rekey {}", plan->node)));
                if (answer == Confirmation::proceed) {
                    if (auto applied = node_rekey_apply(**ops, *plan); !applied)
                        return std::unexpected(applied.error());
                    pinned = true;
                }
            }
            if (ctx.format() == Format::json)
                ctx.printer().json({{"node", plan->node},
                                    {"old_fingerprint", plan->old_key.fingerprint},
                                    {"new_fingerprint", plan->new_key.fingerprint},
                                    {"changed", changed},
                                    {"pinned", pinned}});
            else if (!changed)
                ctx.printer().line(fmt::format("node {}: host key {} {} unchanged", plan->node, plan->new_key.type,
                                               plan->new_key.fingerprint));
            else
                ctx.printer().line(fmt::format("node {}: host key {} {} -> {} {}{}", plan->node,
                                               plan->old_key.type, plan->old_key.fingerprint, plan->new_key.type,
                                               plan->new_key.fingerprint, pinned ? "" : " (dry run: not pinned)"));
            return kExitOk;
        });
    });
}

void add_set(CLI::App& group, App& ctx) {
    auto req = std::make_shared<NodeSetRequest>();
    auto* cmd = group.add_subcommand("set", "change a node's address, login or groups (a new address re-pins its host key)");
    cmd->add_option("name", req->name, "node name")->required();
    cmd->add_option("--host", req->host, "new host name or address");
    cmd->add_option("--port", req->port, "new SSH port");
    cmd->add_option("--user", req->user, "new remote user");
    cmd->add_option("--identity", req->identity, "private key for this node only (\"\" to use the configured ones)");
    cmd->add_option("--group", req->group_changes, "+GROUP adds, -GROUP removes (repeatable; write --group=-GROUP)");
    cmd->add_flag("--accept-new-host-key", req->accept_new_host_key, "pin the key the new address presents");
    cmd->add_option("--host-key-fingerprint", req->host_key_fingerprint, "expected host key at the new address, SHA256:…");
    cmd->callback([&ctx, req] {
        run_command(ctx, [&]() -> Result<int> {
            auto ops = ctx.ops();
            if (!ops) return std::unexpected(ops.error());
            auto node = node_set(**ops, *req);
            if (!node) return std::unexpected(node.error());
            const Printer& p = ctx.printer();
            if (p.format == Format::json) p.json(node_json(*node));
            else
                p.line(fmt::format("updated node {} ({}@{}:{}), groups {}, host key {}", node->name, node->user,
                                   node->host, node->port, node->groups.empty() ? "-" : join(node->groups, ","),
                                   node->host_key.fingerprint));
            return kExitOk;
        });
    });
}

// `node cordon` / `node uncordon`: no new instance is placed on a cordoned node; what runs stays.
void add_cordon(CLI::App& group, App& ctx, bool cordoned) {
    auto nodesets = std::make_shared<std::vector<std::string>>();
    auto* cmd = group.add_subcommand(cordoned ? "cordon" : "uncordon",
                                     cordoned ? "place no new instances on nodes (running ones stay)"
                                              : "place instances on cordoned nodes again");
    add_nodeset_option(*cmd, "nodeset", *nodesets, "NODESET (several are joined by ',')")->required();
    cmd->callback([&ctx, nodesets, cordoned] {
        run_command(ctx, [&]() -> Result<int> {
            auto ops = ctx.ops();
            if (!ops) return std::unexpected(ops.error());
            auto names = node_cordon(**ops, join(*nodesets, ","), cordoned);
            if (!names) return std::unexpected(names.error());
            if (ctx.format() == Format::json) ctx.printer().json({{cordoned ? "cordoned" : "uncordoned", *names}});
            else
                ctx.printer().line(
                    fmt::format("{} {} node(s): {}", cordoned ? "cordoned" : "uncordoned", names->size(), join(*names, ",")));
            return kExitOk;
        });
    });
}

}  // namespace

void add_node_commands(CLI::App& app, App& ctx) {
    auto* group = app.add_subcommand("node", "register and inspect nodes");
    group->require_subcommand(1);
    add_add(*group, ctx);
    add_ls(*group, ctx);
    add_show(*group, ctx);
    add_rm(*group, ctx);
    add_facts(*group, ctx);
    add_check(*group, ctx);
    add_label(*group, ctx);
    add_rekey(*group, ctx);
    add_set(*group, ctx);
    add_cordon(*group, ctx, true);
    add_cordon(*group, ctx, false);
}

}  // namespace cc::cli
