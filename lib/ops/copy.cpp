#include "ops/copy.hpp"

#include <filesystem>
#include <random>
#include <sys/stat.h>

#include <fmt/format.h>

#include "core/interrupt.hpp"
#include "core/shell_quote.hpp"
#include "fanout/fanout.hpp"

namespace cc {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct PlannedFile {
    std::string local;
    std::string remote;  // final name
    unsigned mode = 0644;
};

struct UploadPlan {
    std::vector<std::pair<std::string, unsigned>> dirs;  // remote directory, mode (parents first)
    std::vector<PlannedFile> files;
};

unsigned mode_of(const fs::path& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0644;
}

std::string remote_join(const std::string& dir, const std::string& name) {
    return dir.ends_with('/') ? dir + name : dir + "/" + name;
}

// Where each local file goes; DST ending in '/' means "into that directory".
Result<UploadPlan> plan_upload(const std::string& local, const std::string& remote) {
    std::error_code ec;
    fs::path source(local);
    auto status = fs::status(source, ec);
    if (ec || !fs::exists(status))
        return fail(ErrorKind::invalid_input, fmt::format("cannot copy \"{}\": no such file or directory", local));
    std::string base = source.filename().empty() ? source.parent_path().filename().string() : source.filename().string();
    std::string target = remote.ends_with('/') ? remote + base : remote;
    UploadPlan plan;
    if (fs::is_regular_file(status)) {
        plan.files.push_back({local, target, mode_of(source)});
        return plan;
    }
    if (!fs::is_directory(status))
        return fail(ErrorKind::invalid_input, fmt::format("cannot copy \"{}\": not a regular file or directory", local));
    plan.dirs.push_back({target, mode_of(source)});
    for (auto it = fs::recursive_directory_iterator(source, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
        std::string relative = fs::relative(it->path(), source).string();
        std::string dest = remote_join(target, relative);
        if (it->is_directory()) plan.dirs.push_back({dest, mode_of(it->path())});
        else if (it->is_regular_file()) plan.files.push_back({it->path().string(), dest, mode_of(it->path())});
        else return fail(ErrorKind::invalid_input, fmt::format("cannot copy \"{}\": not a regular file", it->path().string()));
    }
    if (ec) return fail(ErrorKind::io, fmt::format("reading \"{}\": {}", local, ec.message()));
    return plan;
}

std::string temp_name_for(const std::string& remote) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    auto slash = remote.rfind('/');
    std::string dir = slash == std::string::npos ? "" : remote.substr(0, slash + 1);
    std::string name = slash == std::string::npos ? remote : remote.substr(slash + 1);
    return fmt::format("{}.{}.clusterctl-{:016x}", dir, name, rng());
}

// Runs `argv` lines joined with && in one round trip.
Result<void> run_remote(Connection& c, const std::vector<std::vector<std::string>>& commands,
                        std::chrono::milliseconds timeout, const std::string& node) {
    std::string line;
    for (const auto& argv : commands) line += (line.empty() ? "" : " && ") + shell_join(argv);
    auto ran = c.exec(line, timeout);
    if (!ran) return std::unexpected(ran.error());
    if (ran->exit_status != 0)
        return fail(ErrorKind::remote, fmt::format("node \"{}\": {}", node, ran->err.empty() ? "rename failed" : ran->err.substr(0, ran->err.find('\n'))));
    return {};
}

Result<std::pair<std::uint64_t, std::size_t>> push_to(Connection& c, const UploadPlan& plan, const OpsContext& ctx,
                                                      const std::string& node) {
    for (const auto& [dir, mode] : plan.dirs)
        if (auto made = c.make_dir(dir, mode | 0700, ctx.settings.command_timeout); !made)
            return std::unexpected(made.error());
    std::vector<std::vector<std::string>> renames;
    std::vector<std::string> temps;
    std::uint64_t bytes = 0;
    for (const auto& file : plan.files) {
        std::string temp = temp_name_for(file.remote);
        temps.push_back(temp);
        auto sent = c.put_file(file.local, temp, file.mode, ctx.settings.command_timeout);
        if (!sent) {
            std::vector<std::string> rm = {"rm", "-f", "--"};
            rm.insert(rm.end(), temps.begin(), temps.end());
            (void)run_remote(c, {rm}, ctx.settings.command_timeout, node);  // leave no temp files behind
            return std::unexpected(sent.error());
        }
        bytes += *sent;
        renames.push_back({"mv", "-f", "--", temp, file.remote});
    }
    // All files land together, each with an atomic rename(2), after every byte arrived.
    if (!renames.empty())
        if (auto moved = run_remote(c, renames, ctx.settings.command_timeout, node); !moved)
            return std::unexpected(moved.error());
    return std::pair{bytes, plan.files.size()};
}

Result<std::uint64_t> pull_from(Connection& c, const std::string& remote, const std::string& local_dir,
                                const OpsContext& ctx, std::string& landed) {
    std::error_code ec;
    fs::create_directories(local_dir, ec);
    if (ec) return fail(ErrorKind::io, fmt::format("cannot create \"{}\": {}", local_dir, ec.message()));
    std::string name = fs::path(remote).filename().string();
    if (name.empty()) return fail(ErrorKind::invalid_input, fmt::format("\"{}\" does not name a file", remote));
    landed = (fs::path(local_dir) / name).string();
    std::string temp = (fs::path(local_dir) / ("." + name + ".clusterctl-part")).string();
    auto got = c.get_file(remote, temp, ctx.settings.command_timeout);
    if (!got) {
        fs::remove(temp, ec);
        return std::unexpected(got.error());
    }
    fs::rename(temp, landed, ec);
    if (ec) return fail(ErrorKind::io, fmt::format("cannot rename to \"{}\": {}", landed, ec.message()));
    return *got;
}

}  // namespace

CopySpec parse_copy_spec(const std::string& text) {
    auto colon = text.find(':');
    std::error_code ec;
    bool looks_local = colon == std::string::npos || colon == 0 || text.find('/') < colon ||
                       text.starts_with(".") || fs::exists(text, ec);
    if (looks_local) return {false, "", text};
    return {true, text.substr(0, colon), text.substr(colon + 1)};
}

Result<std::vector<NodeCopyOutcome>> copy_files(OpsContext& ctx, const CopyRequest& request) {
    const CopySpec& src = request.source;
    const CopySpec& dst = request.destination;
    if (src.remote == dst.remote)
        return fail(ErrorKind::invalid_input,
                    "cp needs exactly one side on the nodes: cp LOCAL NODESET:PATH or cp NODESET:PATH LOCAL_DIR/");
    const CopySpec& remote = src.remote ? src : dst;
    if (remote.path.empty())
        return fail(ErrorKind::invalid_input, fmt::format("\"{}:\" needs a path on the nodes", remote.nodeset));
    std::optional<UploadPlan> plan;
    if (!src.remote) {
        auto planned = plan_upload(src.path, dst.path);
        if (!planned) return std::unexpected(planned.error());
        plan = std::move(*planned);
    }
    auto nodes = resolve_nodes(ctx, remote.nodeset);
    if (!nodes) return std::unexpected(nodes.error());
    std::vector<NodeCopyOutcome> outcomes(nodes->size());
    for_each_parallel(nodes->size(), ctx.settings.fanout, [&](std::size_t i) {
        const Node& node = (*nodes)[i];
        NodeCopyOutcome& out = outcomes[i];
        out.node = node.name;
        auto start = Clock::now();
        auto record_error = [&](const Error& e) {
            out.status = exec_status_for(e.kind);
            out.error = e.message;
        };
        if (interrupt_requested()) record_error({ErrorKind::interrupted, "interrupted before start"});
        auto connection = out.error.empty()
                              ? connect_pinned(ctx, node)
                              : Result<std::unique_ptr<Connection>>(std::unexpected(Error{ErrorKind::interrupted, out.error}));
        if (!connection) {
            record_error(connection.error());
        } else if (plan) {
            auto pushed = push_to(**connection, *plan, ctx, node.name);
            if (pushed) std::tie(out.bytes, out.files) = *pushed, out.status = ExecStatus::ok;
            else record_error(pushed.error());
        } else {
            auto pulled = pull_from(**connection, src.path, (fs::path(dst.path) / node.name).string(), ctx,
                                    out.local_path);
            if (pulled) out.bytes = *pulled, out.files = 1, out.status = ExecStatus::ok;
            else record_error(pulled.error());
        }
        out.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    });
    return outcomes;
}

}  // namespace cc
