// `clusterctl exec NODESET -- CMD…`: streamed `node: line` output (default),
// gathered and folded by identical output (-b), or JSON.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include "app.hpp"
#include "core/interrupt.hpp"
#include "core/line_splitter.hpp"
#include "core/nodeset.hpp"
#include "core/pipe_source.hpp"
#include "core/units.hpp"
#include "exit_codes.hpp"
#include "nodeset_option.hpp"
#include "ops/exec.hpp"
#include "views/run_view.hpp"

namespace cc::cli {

namespace {

// Prefixes complete lines with the node name; a node's unfinished last line
// is flushed when that node is done, so lines from nodes never interleave.
// Each (node, stream) holds at most one bounded line (LineSplitter). When
// stdout stops taking output (the reader went away: `| head -1`), every node
// is stopped through the interrupt flag instead of draining them for nothing.
class LinePrefixer {
public:
    void feed(const std::string& node, int stream, std::string_view data) {
        std::lock_guard lock(mutex_);
        splitters_[{node, stream}].feed(data, [&](std::string_view line) { emit(node, stream, line); });
    }

    void finish(const NodeResult<ExecOutput>& o) {
        std::lock_guard lock(mutex_);
        for (int stream : {0, 1}) {
            auto it = splitters_.find({o.node, stream});
            if (it == splitters_.end()) continue;
            it->second.finish([&](std::string_view line) { emit(o.node, stream, line); });
            splitters_.erase(it);
        }
        if (o.status == NodeStatus::failed && !o.error_kind)
            emit(o.node, 1, o.value.exit_signal.empty() ? fmt::format("[exit {}]", o.value.exit_status.value_or(-1))
                                                        : fmt::format("[signal {}]", o.value.exit_signal));
        else if (o.status == NodeStatus::interrupted && !stdout_error_)
            emit(o.node, 1, "[interrupted]");
        else if (o.status != NodeStatus::ok && o.status != NodeStatus::interrupted)
            emit(o.node, 1, fmt::format("[{}] {}", node_status_word(o.status, o.error_kind), o.error));
    }

    // errno of the first failed write to stdout (EPIPE: the reader is gone), or 0.
    int stdout_error() {
        std::lock_guard lock(mutex_);
        if (!stdout_error_ && std::fflush(stdout) != 0) stdout_error_ = errno;
        return stdout_error_;
    }

private:
    void emit(const std::string& node, int stream, std::string_view line) {
        if (stream == 0 && stdout_error_) return;
        FILE* out = stream == 0 ? stdout : stderr;
        std::string text = fmt::format("{}: {}\n", node, line);
        if (std::fwrite(text.data(), 1, text.size(), out) != text.size() && stream == 0) {
            stdout_error_ = errno ? errno : EIO;
            request_interrupt();
        }
        if (stream == 1) std::fflush(stderr);
    }
    std::mutex mutex_;
    std::map<std::pair<std::string, int>, LineSplitter> splitters_;
    int stdout_error_ = 0;
};

// Stdin is open and not a terminal (a pipe, a file, /dev/null).
bool stdin_is_input() { return ::fcntl(STDIN_FILENO, F_GETFD) != -1 && !::isatty(STDIN_FILENO); }

// dshbak -c / clush -b: nodes with identical output share one block.
void print_gathered(const std::vector<NodeResult<ExecOutput>>& outcomes) {
    struct Group {
        std::string output;
        bool truncated;  // a cut output is not the same as a whole one that starts alike
        std::vector<std::string> nodes;
    };
    std::vector<Group> groups;  // first-seen order
    std::map<std::pair<std::string, bool>, std::size_t> index;
    for (const auto& o : outcomes) {
        if ((o.status != NodeStatus::ok && (o.status != NodeStatus::failed || o.error_kind)) && o.value.out.empty() &&
            o.value.err.empty())
            continue;
        auto [it, inserted] = index.try_emplace({o.value.out + o.value.err, o.value.truncated}, groups.size());
        if (inserted) groups.push_back({it->first.first, o.value.truncated, {}});
        groups[it->second].nodes.push_back(o.node);
    }
    for (const auto& group : groups) {
        std::string header = fmt::format("{} ({}){}", fold_nodeset(group.nodes), group.nodes.size(),
                                         group.truncated ? " [output truncated]" : "");
        std::string rule(std::min<std::size_t>(header.size(), 79), '-');
        std::string text = fmt::format("{}\n{}\n{}\n{}", rule, header, rule, group.output);
        if (!group.output.empty() && group.output.back() != '\n') text += '\n';
        std::fwrite(text.data(), 1, text.size(), stdout);
    }
}

// `node01: [failed] exit status 2`, `node02: [interrupted]`, `node03: [timeout] …`.
std::string status_note(const NodeResult<ExecOutput>& o) {
    const ExecOutput& v = o.value;
    std::string detail = v.exit_status && v.exit_signal.empty() ? fmt::format("exit status {}", *v.exit_status)
                         : !v.exit_signal.empty()                ? fmt::format("signal {}", v.exit_signal)
                                                                 : o.error;
    std::string status = node_status_word(o.status, o.error_kind);
    if (detail == status) detail.clear();
    return fmt::format("{}: [{}]{}{}", o.node, status, detail.empty() ? "" : " ", detail);
}

std::string summary(const std::vector<NodeResult<ExecOutput>>& outcomes) {
    std::map<std::string, std::vector<std::string>> by_status;
    std::size_t ok = 0, failed = 0, timeout = 0, unreachable = 0, interrupted = 0;
    for (const auto& o : outcomes) {
        std::string word = node_status_word(o.status, o.error_kind);
        by_status[word].push_back(o.node);
        // auth and host-key count as failed here, as they always did
        if (word == "ok") ++ok;
        else if (word == "timeout") ++timeout;
        else if (word == "unreachable") ++unreachable;
        else if (word == "interrupted") ++interrupted;
        else ++failed;
    }
    std::string text = fmt::format("{} ok, {} failed, {} timeout, {} unreachable", ok, failed, timeout, unreachable);
    if (interrupted) text += fmt::format(", {} interrupted", interrupted);
    for (const auto& [status, nodes] : by_status) text += fmt::format("; {}: {}", status, fold_nodeset(nodes));
    return text;
}

}  // namespace

void add_exec_commands(CLI::App& app, App& ctx) {
    struct Options {
        ExecRequest request;
        std::string shell;
        bool gather = false;
        bool max_rc = false;
        bool no_stdin = false;
    };
    auto opts = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("exec", "run a command on every node of a NODESET");
    add_nodeset_option(*cmd, "nodeset", opts->request.nodeset, "NODESET")->required();
    cmd->add_option("command", opts->request.argv, "CMD ARGS… after --, each quoted for the remote shell");
    cmd->add_option("--shell", opts->shell, "a shell command line, run as written");
    cmd->add_flag("-b,--gather", opts->gather, "gather output and fold nodes with identical output");
    cmd->add_flag("--max-rc", opts->max_rc, "exit with the largest remote exit status (255 if a node never finished)");
    // No -n: `exec @all uname -n` must stay the usage error that shows the `--` form.
    cmd->add_flag("--no-stdin", opts->no_stdin,
                  "give every node an empty stdin (else stdin, unless it is a terminal, goes to every node)");
    cmd->callback([&ctx, opts] {
        run_command(ctx, [&]() -> Result<int> {
            if (!opts->shell.empty()) opts->request.shell = opts->shell;
            auto ops = ctx.ops();
            if (!ops) return std::unexpected(ops.error());
            const Printer& p = ctx.printer();
            // Like ssh: what is piped in goes to the command; a terminal is left alone.
            PipeSource own_stdin(STDIN_FILENO, "stdin");
            if (!opts->no_stdin && stdin_is_input()) opts->request.input = &own_stdin;
            LinePrefixer prefixer;
            bool stream = p.format != Format::json && !opts->gather;
            if (stream) {
                opts->request.on_output = [&](const std::string& node, int s, std::string_view data) {
                    prefixer.feed(node, s, data);
                };
                opts->request.on_done = [&](const NodeResult<ExecOutput>& o) { prefixer.finish(o); };
            }
            auto outcomes = exec_on_nodes(**ops, opts->request);
            if (!outcomes) return std::unexpected(outcomes.error());
            if (p.format == Format::json) {
                p.json(json_array(*outcomes, exec_outcome_fields()));
            } else if (opts->gather) {
                print_gathered(*outcomes);
                for (const auto& o : *outcomes)
                    if (o.status != NodeStatus::ok) p.note(status_note(o));
            }
            std::vector<std::string> cut;
            for (const auto& o : *outcomes)
                if (o.value.truncated) cut.push_back(o.node);
            if (!cut.empty())
                p.note(fmt::format("output past {} per stream was dropped (exec.max_output) on {}",
                                   format_bytes((*ops)->settings.exec_max_output), fold_nodeset(cut)));
            if (int error = prefixer.stdout_error()) {
                p.note(summary(*outcomes));
                if (error == EPIPE) return kExitBrokenPipe;
                return fail(ErrorKind::io, fmt::format("cannot write to stdout: {}", std::strerror(error)));
            }
            p.note(summary(*outcomes));
            return fanout_exit_code(*outcomes, {.max_rc = opts->max_rc});
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
    add_nodeset_option(*cmd, "expression", opts->expressions, "NODESET")->required();
    cmd->callback([&ctx, opts] {
        run_command(ctx, [&]() -> Result<int> {
            std::string expr;
            for (const auto& part : opts->expressions) expr += (expr.empty() ? "" : ",") + part;
            // The inventory is opened only when the expression names a group.
            GroupResolver groups = [&](std::string_view group) -> Result<std::vector<std::string>> {
                auto ops = ctx.ops();
                if (!ops) return std::unexpected(ops.error());
                return (*ops)->inventory.nodes().group_members(std::string(group));
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
