// `clusterctl exec NODESET -- CMD…`: streamed `node: line` output (default),
// gathered and folded by identical output (-b), or JSON.
#include <algorithm>
#include <cstdio>
#include <map>
#include <mutex>

#include <fmt/format.h>

#include "app.hpp"
#include "core/nodeset.hpp"
#include "exit_codes.hpp"
#include "ops/exec.hpp"

namespace cc::cli {

namespace {

// Prefixes complete lines with the node name; a node's unfinished last line
// is flushed when that node is done, so lines from nodes never interleave.
class LinePrefixer {
public:
    void feed(const std::string& node, int stream, std::string_view data) {
        std::lock_guard lock(mutex_);
        std::string& pending = pending_[{node, stream}];
        pending.append(data);
        std::size_t start = 0;
        for (std::size_t eol; (eol = pending.find('\n', start)) != std::string::npos; start = eol + 1)
            emit(node, stream, std::string_view(pending).substr(start, eol - start));
        pending.erase(0, start);
    }

    void finish(const NodeExecOutcome& o) {
        std::lock_guard lock(mutex_);
        for (int stream : {0, 1}) {
            auto it = pending_.find({o.node, stream});
            if (it == pending_.end()) continue;
            if (!it->second.empty()) emit(o.node, stream, it->second);
            pending_.erase(it);
        }
        if (o.status != ExecStatus::ok && o.status != ExecStatus::failed)
            emit(o.node, 1, fmt::format("[{}] {}", exec_status_name(o.status), o.error));
    }

private:
    void emit(const std::string& node, int stream, std::string_view line) {
        FILE* out = stream == 0 ? stdout : stderr;
        std::string text = fmt::format("{}: {}\n", node, line);
        std::fwrite(text.data(), 1, text.size(), out);
        if (stream == 1) std::fflush(stderr);
    }
    std::mutex mutex_;
    std::map<std::pair<std::string, int>, std::string> pending_;
};

nlohmann::json outcome_json(const NodeExecOutcome& o) {
    return {{"node", o.node},
            {"status", exec_status_name(o.status)},
            {"exit_status", o.exit_status ? nlohmann::json(*o.exit_status) : nlohmann::json(nullptr)},
            {"exit_signal", o.exit_signal.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.exit_signal)},
            {"error", o.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.error)},
            {"stdout", o.out},
            {"stderr", o.err},
            {"duration_ms", o.duration.count()}};
}

// dshbak -c / clush -b: nodes with identical output share one block.
void print_gathered(const std::vector<NodeExecOutcome>& outcomes) {
    std::vector<std::pair<std::string, std::vector<std::string>>> groups;  // output → nodes, first-seen order
    std::map<std::string, std::size_t> index;
    for (const auto& o : outcomes) {
        if (o.status != ExecStatus::ok && o.status != ExecStatus::failed && o.out.empty() && o.err.empty()) continue;
        std::string key = o.out + o.err;
        auto [it, inserted] = index.try_emplace(key, groups.size());
        if (inserted) groups.push_back({key, {}});
        groups[it->second].second.push_back(o.node);
    }
    for (const auto& [output, nodes] : groups) {
        std::string header = fmt::format("{} ({})", fold_nodeset(nodes), nodes.size());
        std::string rule(std::min<std::size_t>(header.size(), 79), '-');
        std::string text = fmt::format("{}\n{}\n{}\n{}", rule, header, rule, output);
        if (!output.empty() && output.back() != '\n') text += '\n';
        std::fwrite(text.data(), 1, text.size(), stdout);
    }
}

std::string summary(const std::vector<NodeExecOutcome>& outcomes) {
    std::map<std::string, std::vector<std::string>> by_status;
    std::size_t ok = 0, failed = 0, timeout = 0, unreachable = 0;
    for (const auto& o : outcomes) {
        by_status[exec_status_name(o.status)].push_back(o.node);
        switch (o.status) {
            case ExecStatus::ok: ++ok; break;
            case ExecStatus::timeout: ++timeout; break;
            case ExecStatus::unreachable: ++unreachable; break;
            default: ++failed; break;
        }
    }
    std::string text = fmt::format("{} ok, {} failed, {} timeout, {} unreachable", ok, failed, timeout, unreachable);
    for (const auto& [status, nodes] : by_status) text += fmt::format("; {}: {}", status, fold_nodeset(nodes));
    return text;
}

int exit_code(const std::vector<NodeExecOutcome>& outcomes, bool max_rc) {
    bool all_ok = true;
    int largest = 0;
    for (const auto& o : outcomes) {
        if (o.status == ExecStatus::interrupted) return kExitInterrupted;
        all_ok = all_ok && o.status == ExecStatus::ok;
        // Like ssh itself, a node whose command never finished counts as 255.
        largest = std::max(largest, o.exit_status && o.exit_signal.empty() ? *o.exit_status : 255);
    }
    if (max_rc) return largest;
    return all_ok ? kExitOk : kExitPartial;
}

}  // namespace

void add_exec_commands(CLI::App& app, App& ctx) {
    struct Options {
        ExecRequest request;
        std::string shell;
        bool gather = false;
        bool max_rc = false;
    };
    auto opts = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("exec", "run a command on every node of a NODESET");
    cmd->add_option("nodeset", opts->request.nodeset, "NODESET")->required();
    cmd->add_option("command", opts->request.argv, "CMD ARGS… after --, each quoted for the remote shell");
    cmd->add_option("--shell", opts->shell, "a shell command line, run as written");
    cmd->add_flag("-b,--gather", opts->gather, "gather output and fold nodes with identical output");
    cmd->add_flag("--max-rc", opts->max_rc, "exit with the largest remote exit status (255 if a node never finished)");
    cmd->callback([&ctx, opts] {
        run_command(ctx, [&]() -> Result<int> {
            if (!opts->shell.empty()) opts->request.shell = opts->shell;
            auto ops = ctx.ops();
            if (!ops) return std::unexpected(ops.error());
            const Printer& p = ctx.printer();
            LinePrefixer prefixer;
            bool stream = p.format != Format::json && !opts->gather;
            if (stream) {
                opts->request.on_output = [&](const std::string& node, int s, std::string_view data) {
                    prefixer.feed(node, s, data);
                };
                opts->request.on_done = [&](const NodeExecOutcome& o) { prefixer.finish(o); };
            }
            auto outcomes = exec_on_nodes(**ops, opts->request);
            if (!outcomes) return std::unexpected(outcomes.error());
            if (p.format == Format::json) {
                nlohmann::json out = nlohmann::json::array();
                for (const auto& o : *outcomes) out.push_back(outcome_json(o));
                p.json(out);
            } else if (opts->gather) {
                print_gathered(*outcomes);
                for (const auto& o : *outcomes)
                    if (o.status != ExecStatus::ok)
                        p.note(fmt::format("{}: [{}] {}", o.node, exec_status_name(o.status),
                                           o.exit_status ? fmt::format("exit status {}", *o.exit_status) : o.error));
            }
            std::fflush(stdout);
            p.note(summary(*outcomes));
            return exit_code(*outcomes, opts->max_rc);
        });
    });
}

void add_nodeset_commands(CLI::App& app, App& ctx) {
    struct Options {
        std::vector<std::string> expressions;
        bool expand = false, count = false, fold = false;
    };
    auto opts = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("nodeset", "expand, count or fold a NODESET (@groups from the inventory)");
    auto* e = cmd->add_flag("-e,--expand", opts->expand, "print the node names, space-separated");
    auto* c = cmd->add_flag("-c,--count", opts->count, "print how many nodes");
    auto* f = cmd->add_flag("-f,--fold", opts->fold, "print the compact form");
    e->excludes(c)->excludes(f);
    c->excludes(f);
    cmd->add_option("expression", opts->expressions, "NODESET")->required();
    cmd->callback([&ctx, opts] {
        run_command(ctx, [&]() -> Result<int> {
            std::string expr;
            for (const auto& part : opts->expressions) expr += (expr.empty() ? "" : ",") + part;
            // The inventory is opened only when the expression names a group.
            GroupResolver groups = [&](std::string_view group) -> Result<std::vector<std::string>> {
                auto ops = ctx.ops();
                if (!ops) return std::unexpected(ops.error());
                return (*ops)->inventory.group_members(std::string(group));
            };
            auto names = expand_nodeset(expr, groups);
            if (!names) return std::unexpected(names.error());
            const Printer& p = ctx.printer();
            if (p.format == Format::json) {
                p.json({{"nodes", *names}, {"count", names->size()}, {"folded", fold_nodeset(*names)}});
            } else if (opts->count) {
                p.line(std::to_string(names->size()));
            } else if (opts->expand) {
                std::string line;
                for (const auto& n : *names) line += (line.empty() ? "" : " ") + n;
                p.line(line);
            } else {
                p.line(fold_nodeset(*names));
            }
            return kExitOk;
        });
    });
}

}  // namespace cc::cli
