#include "ops/copy.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

#include <fmt/format.h>

#include "remote/atomic_write.hpp"
#include "remote/command.hpp"

namespace cc {

namespace {

namespace fs = std::filesystem;

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

// Every target is checked before any byte is sent, so a tree with one target
// that is a directory lands nothing. write_file_atomic refuses it again if one
// appears meanwhile.
constexpr const char* kCheckTargetsScript = R"sh(
for f do
    if [ -d "$f" ]; then printf '%s is a directory (end the destination with / to copy into it)\n' "$f" >&2; exit 1; fi
done
)sh";

Result<void> check_targets(Connection& c, const UploadPlan& plan, std::chrono::milliseconds timeout,
                           const std::string& node) {
    std::vector<std::string> argv = {"sh", "-c", kCheckTargetsScript, "sh"};
    for (const auto& file : plan.files) argv.push_back(file.remote);
    auto ran = c.exec(remote_command(argv, timeout), timeout);
    if (!ran) return std::unexpected(ran.error());
    if (ran->exit_status != 0)
        return fail(ErrorKind::remote, fmt::format("node \"{}\": {}", node,
                                                   ran->err.empty() ? "checking the targets failed"
                                                                    : ran->err.substr(0, ran->err.find('\n'))));
    return {};
}

Result<std::pair<std::uint64_t, std::size_t>> push_to(Connection& c, const UploadPlan& plan, const OpsContext& ctx,
                                                      const std::string& node) {
    for (const auto& [dir, mode] : plan.dirs)
        if (auto made = c.make_dir(dir, mode | 0700, ctx.settings.command_timeout); !made)
            return std::unexpected(made.error());
    if (!plan.files.empty())
        if (auto checked = check_targets(c, plan, ctx.settings.command_timeout, node); !checked)
            return std::unexpected(checked.error());
    // A new file gets the local file's mode; a replaced one keeps its owner and mode.
    std::vector<LocalFileWrite> writes;
    for (const auto& file : plan.files) {
        LocalFileWrite write{file.local, file.remote, {}};
        write.options.mode = file.mode;
        writes.push_back(std::move(write));
    }
    // All files land together, after every byte arrived.
    auto bytes = write_files_atomic(c, writes, ctx.settings.command_timeout);
    if (!bytes) return std::unexpected(bytes.error());
    return std::pair{*bytes, plan.files.size()};
}

struct UniqueFd {
    int fd = -1;
    explicit UniqueFd(int f) : fd(f) {}
    UniqueFd(UniqueFd&& other) noexcept : fd(std::exchange(other.fd, -1)) {}
    UniqueFd(const UniqueFd&) = delete;
    ~UniqueFd() {
        if (fd >= 0) ::close(fd);
    }
};

// Gathering writes into DIR, which may be shared (/tmp/out): anyone who can write there may plant
// symlinks at DIR/<node> or at the names inside it. So DIR is opened once without following a
// link, and everything below it is reached by descriptor (mkdirat, openat O_NOFOLLOW, O_EXCL,
// renameat), never by a path that could be swapped between a check and its use.
Result<UniqueFd> open_gather_dir(const std::string& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return fail(ErrorKind::io, fmt::format("cannot create \"{}\": {}", dir, ec.message()));
    std::string bare = dir;
    while (bare.size() > 1 && bare.ends_with('/')) bare.pop_back();  // "x/" would follow a link named x
    UniqueFd fd(::open(bare.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.fd < 0 && errno == ELOOP)
        return fail(ErrorKind::invalid_input, fmt::format("\"{}\" is a symbolic link; name the directory itself", bare));
    if (fd.fd < 0) return fail(ErrorKind::io, fmt::format("cannot open \"{}\": {}", bare, std::strerror(errno)));
    return fd;
}

Result<UniqueFd> open_node_dir(int gather_fd, const std::string& shown, const std::string& node) {
    if (node == "." || node == ".." || node.find('/') != std::string::npos)
        return fail(ErrorKind::invalid_input, fmt::format("node name \"{}\" cannot name a directory", node));
    if (::mkdirat(gather_fd, node.c_str(), 0777) != 0 && errno != EEXIST)
        return fail(ErrorKind::io, fmt::format("cannot create \"{}\": {}", shown, std::strerror(errno)));
    UniqueFd fd(::openat(gather_fd, node.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.fd >= 0) return fd;
    int err = errno;
    struct stat st {};
    if (::fstatat(gather_fd, node.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
        return fail(ErrorKind::invalid_input,
                    fmt::format("\"{}\" is a symbolic link; refusing to write through it (remove it)", shown));
    return fail(ErrorKind::io, fmt::format("cannot open \"{}\": {}", shown, std::strerror(err)));
}

// The temp name is fixed, so a crashed run's leftover is replaced; whatever sits there (a stale
// file, a planted symlink) is unlinked, never followed, and O_EXCL refuses anything re-planted.
Result<UniqueFd> create_temp(int dir_fd, const std::string& temp, const std::string& shown) {
    for (int attempt = 0;; ++attempt) {
        UniqueFd fd(::openat(dir_fd, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (fd.fd >= 0) return fd;
        if (errno != EEXIST || attempt == 1 || ::unlinkat(dir_fd, temp.c_str(), 0) != 0)
            return fail(ErrorKind::io, fmt::format("cannot create \"{}\": {}", shown, std::strerror(errno)));
    }
}

Result<std::uint64_t> pull_from(Connection& c, const std::string& remote, int gather_fd, const std::string& gather_dir,
                                const std::string& node, const OpsContext& ctx, std::string& landed) {
    std::string name = fs::path(remote).filename().string();
    if (name.empty() || name == "." || name == "..")
        return fail(ErrorKind::invalid_input, fmt::format("\"{}\" does not name a file", remote));
    fs::path node_dir = fs::path(gather_dir) / node;
    auto dir = open_node_dir(gather_fd, node_dir.string(), node);
    if (!dir) return std::unexpected(dir.error());
    std::string temp = "." + name + ".clusterctl-part";
    std::string shown_temp = (node_dir / temp).string();
    auto file = create_temp(dir->fd, temp, shown_temp);
    if (!file) return std::unexpected(file.error());
    auto got = c.get_file(remote, file->fd, ctx.settings.command_timeout);
    if (!got) {
        ::unlinkat(dir->fd, temp.c_str(), 0);
        return std::unexpected(got.error());
    }
    std::string final_path = (node_dir / name).string();
    if (::renameat(dir->fd, temp.c_str(), dir->fd, name.c_str()) != 0) {
        int err = errno;
        ::unlinkat(dir->fd, temp.c_str(), 0);
        return fail(ErrorKind::io, fmt::format("cannot rename to \"{}\": {}", final_path, std::strerror(err)));
    }
    landed = final_path;
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

Result<std::vector<NodeResult<CopyOutput>>> copy_files(OpsContext& ctx, const CopyRequest& request) {
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
    std::optional<UniqueFd> gather_dir;
    if (!plan) {
        auto opened = open_gather_dir(dst.path);
        if (!opened) return std::unexpected(opened.error());
        gather_dir.emplace(std::move(*opened));
    }
    NodeWork<CopyOutput> work = [&](Connection& connection, const Node& node, CopyOutput& out) -> Result<NodeStatus> {
        if (plan) {
            auto pushed = push_to(connection, *plan, ctx, node.name);
            if (!pushed) return std::unexpected(pushed.error());
            std::tie(out.bytes, out.files) = *pushed;
        } else {
            auto pulled = pull_from(connection, src.path, gather_dir->fd, dst.path, node.name, ctx, out.local_path);
            if (!pulled) return std::unexpected(pulled.error());
            out.bytes = *pulled, out.files = 1;
        }
        return NodeStatus::ok;
    };
    return run_on_nodes(ctx, *nodes, work);
}

}  // namespace cc
