// File transfer over SFTP on the session's own channel, streamed in chunks:
// a file of any size costs one buffer of memory.
#include <fcntl.h>
#include <sys/stat.h>

#include "core/pipe_source.hpp"
#include "ssh/ssh_connection.hpp"

namespace cc::ssh {

namespace {

constexpr std::size_t kChunk = 256 * 1024;
// How long one turn waits for a source that has nothing yet.
constexpr milliseconds kSourceWait{250};

std::string sftp_error(LIBSSH2_SFTP* sftp) {
    switch (libssh2_sftp_last_error(sftp)) {
        case LIBSSH2_FX_NO_SUCH_FILE: return "no such file or directory";
        case LIBSSH2_FX_PERMISSION_DENIED: return "permission denied";
        case LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM: return "no space left on device";
        case LIBSSH2_FX_QUOTA_EXCEEDED: return "quota exceeded";
        case LIBSSH2_FX_FILE_ALREADY_EXISTS: return "file exists";
        case LIBSSH2_FX_NOT_A_DIRECTORY: return "not a directory";
        case LIBSSH2_FX_NO_SUCH_PATH: return "no such path";
        default: return "SFTP failure " + std::to_string(libssh2_sftp_last_error(sftp));
    }
}

// Closes a handle left open by an error path (blocking, bounded: see Session).
struct HandleGuard {
    Session& session;
    LIBSSH2_SFTP_HANDLE* handle = nullptr;
    ~HandleGuard() {
        if (!handle || !session.healthy()) return;  // freed with the session
        session.briefly_blocking();
        libssh2_sftp_close_handle(handle);
        session.non_blocking();
    }
};

struct FdGuard {
    int fd = -1;
    ~FdGuard() {
        if (fd >= 0) ::close(fd);
    }
};

std::string parent_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

SshConnection::~SshConnection() {
    if (!sftp_) return;
    if (!session_->healthy()) return;  // the session's teardown frees it
    session_->briefly_blocking();  // a non-blocking shutdown may answer EAGAIN and leak
    libssh2_sftp_shutdown(sftp_);
}

Result<LIBSSH2_SFTP*> SshConnection::sftp(Clock::time_point deadline, milliseconds budget) {
    while (!sftp_) {
        sftp_ = libssh2_sftp_init(session_->get());
        if (sftp_) break;
        int err = libssh2_session_last_errno(session_->get());
        if (err != LIBSSH2_ERROR_EAGAIN) return std::unexpected(session_->failure("cannot start SFTP", err));
        if (auto w = session_->wait(deadline, "SFTP start", budget); !w) return std::unexpected(w.error());
    }
    return sftp_;
}

Result<LIBSSH2_SFTP_HANDLE*> SshConnection::open_remote(LIBSSH2_SFTP* sftp, const std::string& path, unsigned long flags,
                                                      unsigned mode, Clock::time_point deadline, milliseconds budget) {
    for (;;) {
        LIBSSH2_SFTP_HANDLE* handle = libssh2_sftp_open_ex(sftp, path.data(), static_cast<unsigned>(path.size()), flags,
                                                           static_cast<long>(mode), LIBSSH2_SFTP_OPENFILE);
        if (handle) return handle;
        if (libssh2_session_last_errno(session_->get()) != LIBSSH2_ERROR_EAGAIN)
            return fail(ErrorKind::remote, fmt::format("{}: cannot open \"{}\": {}", describe(session_->target()),
                                                       path, sftp_error(sftp)));
        if (auto w = session_->wait(deadline, "SFTP open", budget); !w) return std::unexpected(w.error());
    }
}

Result<void> SshConnection::make_dir(const std::string& remote_path, unsigned mode, milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    auto sftp = this->sftp(deadline, timeout);
    if (!sftp) return std::unexpected(sftp.error());
    auto rc = session_->retry(
        [&] {
            return libssh2_sftp_mkdir_ex(*sftp, remote_path.data(), static_cast<unsigned>(remote_path.size()),
                                         static_cast<long>(mode));
        },
        deadline, "mkdir", timeout);
    if (!rc) return std::unexpected(rc.error());
    if (*rc == 0) return {};
    LIBSSH2_SFTP_ATTRIBUTES attrs{};
    auto st = session_->retry(
        [&] {
            return libssh2_sftp_stat_ex(*sftp, remote_path.data(), static_cast<unsigned>(remote_path.size()),
                                        LIBSSH2_SFTP_STAT, &attrs);
        },
        deadline, "stat", timeout);
    if (st && *st == 0 && LIBSSH2_SFTP_S_ISDIR(attrs.permissions)) return {};
    return fail(ErrorKind::remote, fmt::format("{}: cannot create directory \"{}\": {}", describe(session_->target()),
                                               remote_path, sftp_error(*sftp)));
}

Result<std::uint64_t> SshConnection::put_file(ByteSource& source, const std::string& remote_path, unsigned mode,
                                              milliseconds idle_timeout) {
    auto deadline = Clock::now() + idle_timeout;
    auto sftp = this->sftp(deadline, idle_timeout);
    if (!sftp) return std::unexpected(sftp.error());
    HandleGuard remote{*session_};
    // EXCL: a name planted in a shared directory (a symlink in /tmp) is refused, never written through.
    auto opened = open_remote(*sftp, remote_path, LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_EXCL, mode,
                              deadline, idle_timeout);
    if (!opened) {
        auto code = libssh2_sftp_last_error(*sftp);
        if (opened.error().kind == ErrorKind::remote &&
            (code == LIBSSH2_FX_NO_SUCH_FILE || code == LIBSSH2_FX_NO_SUCH_PATH))
            return fail(ErrorKind::remote, fmt::format("{}: no such directory on the node: {}",
                                                       describe(session_->target()), parent_of(remote_path)));
        return std::unexpected(opened.error());
    }
    remote.handle = *opened;
    std::vector<char> buffer(kChunk);
    std::uint64_t total = 0;
    for (bool eof = false; !eof;) {
        // The source is asked for the next chunk only when the node took the last
        // one (back-pressure), and waited on briefly, so Ctrl-C and the idle
        // deadline are still seen while it has nothing.
        if (interrupt_requested() || Clock::now() >= deadline)  // wait() reports either
            if (auto w = session_->wait(deadline, "SFTP write", idle_timeout); !w) return std::unexpected(w.error());
        auto chunk = source.read(buffer, std::min(kSourceWait, std::chrono::duration_cast<milliseconds>(
                                                                   deadline - Clock::now())));
        if (!chunk) return std::unexpected(chunk.error());
        eof = chunk->eof;
        if (chunk->size == 0) continue;
        std::size_t sent = 0;
        while (sent < chunk->size) {
            ssize_t n = libssh2_sftp_write(remote.handle, buffer.data() + sent, chunk->size - sent);
            if (n > 0) {
                sent += static_cast<std::size_t>(n);
                continue;
            }
            if (n != LIBSSH2_ERROR_EAGAIN)
                return fail(ErrorKind::remote, fmt::format("{}: writing \"{}\": {}", describe(session_->target()),
                                                           remote_path, sftp_error(*sftp)));
            if (auto w = session_->wait(deadline, "SFTP write", idle_timeout); !w) return std::unexpected(w.error());
        }
        deadline = Clock::now() + idle_timeout;  // progress: the idle clock restarts
        total += chunk->size;
    }
    // Set the mode exactly: the open() mode above is filtered by the remote umask.
    LIBSSH2_SFTP_ATTRIBUTES attrs{};
    attrs.flags = LIBSSH2_SFTP_ATTR_PERMISSIONS;
    attrs.permissions = mode;
    auto set = session_->retry([&] { return libssh2_sftp_fsetstat(remote.handle, &attrs); }, deadline, "SFTP chmod",
                               idle_timeout);
    if (!set) return std::unexpected(set.error());
    auto closed = session_->retry([&] { return libssh2_sftp_close_handle(remote.handle); }, deadline, "SFTP close",
                                  idle_timeout);
    remote.handle = nullptr;
    if (!closed) return std::unexpected(closed.error());
    if (*closed != 0)
        return fail(ErrorKind::remote, fmt::format("{}: closing \"{}\": {}", describe(session_->target()), remote_path,
                                                   sftp_error(*sftp)));
    return total;
}

Result<std::uint64_t> SshConnection::get_file(const std::string& remote_path, int local_fd,
                                              milliseconds idle_timeout) {
    auto deadline = Clock::now() + idle_timeout;
    auto sftp = this->sftp(deadline, idle_timeout);
    if (!sftp) return std::unexpected(sftp.error());
    // Looked at before it is opened: sftp-server opens a directory without complaint (the read
    // then fails with a bare "failure"), and opening a FIFO would block the whole session.
    LIBSSH2_SFTP_ATTRIBUTES attrs{};
    auto st = session_->retry(
        [&] {
            return libssh2_sftp_stat_ex(*sftp, remote_path.data(), static_cast<unsigned>(remote_path.size()),
                                        LIBSSH2_SFTP_STAT, &attrs);
        },
        deadline, "stat", idle_timeout);
    if (!st) return std::unexpected(st.error());
    if (*st == 0 && (attrs.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS)) {
        if (LIBSSH2_SFTP_S_ISDIR(attrs.permissions))
            return fail(ErrorKind::invalid_input, fmt::format("{}: {} is a directory (cp gathers one file per node)",
                                                              describe(session_->target()), remote_path));
        if (!LIBSSH2_SFTP_S_ISREG(attrs.permissions))
            return fail(ErrorKind::invalid_input,
                        fmt::format("{}: {} is not a regular file", describe(session_->target()), remote_path));
    }
    HandleGuard remote{*session_};
    auto opened = open_remote(*sftp, remote_path, LIBSSH2_FXF_READ, 0, deadline, idle_timeout);
    if (!opened) return std::unexpected(opened.error());
    remote.handle = *opened;
    std::vector<char> buffer(kChunk);
    std::uint64_t total = 0;
    for (;;) {
        ssize_t n = libssh2_sftp_read(remote.handle, buffer.data(), buffer.size());
        if (n == 0) break;
        if (n == LIBSSH2_ERROR_EAGAIN) {
            if (auto w = session_->wait(deadline, "SFTP read", idle_timeout); !w) return std::unexpected(w.error());
            continue;
        }
        if (n < 0)
            return fail(ErrorKind::remote, fmt::format("{}: reading \"{}\": {}", describe(session_->target()),
                                                       remote_path, sftp_error(*sftp)));
        deadline = Clock::now() + idle_timeout;
        for (ssize_t written = 0; written < n;) {
            ssize_t w = ::write(local_fd, buffer.data() + written, static_cast<std::size_t>(n - written));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0)
                return fail(ErrorKind::io,
                            fmt::format("writing the local copy of \"{}\": {}", remote_path, std::strerror(errno)));
            written += w;
        }
        total += static_cast<std::uint64_t>(n);
    }
    if (::fsync(local_fd) != 0)
        return fail(ErrorKind::io, fmt::format("writing the local copy of \"{}\": {}", remote_path, std::strerror(errno)));
    return total;
}

}  // namespace cc::ssh

namespace cc {

Result<std::uint64_t> Connection::put_file(ByteSource&, const std::string& remote_path, unsigned, std::chrono::milliseconds) {
    return fail(ErrorKind::remote, fmt::format("cannot write \"{}\": this connection has no file transfer", remote_path));
}

Result<std::uint64_t> Connection::put_file(const std::string& local_path, const std::string& remote_path, unsigned mode,
                                           std::chrono::milliseconds idle_timeout) {
    ssh::FdGuard local{::open(local_path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (local.fd < 0)
        return fail(ErrorKind::io, fmt::format("cannot read \"{}\": {}", local_path, std::strerror(errno)));
    PipeSource source(local.fd, fmt::format("\"{}\"", local_path));
    return put_file(source, remote_path, mode, idle_timeout);
}

}  // namespace cc
