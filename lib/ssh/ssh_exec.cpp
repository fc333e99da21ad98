#include "ssh/ssh_connection.hpp"

namespace cc::ssh {

struct ChannelGuard {
    Session& session;
    LIBSSH2_CHANNEL* channel = nullptr;
    ~ChannelGuard() {
        // On a broken session the peer may never answer a close; the session's
        // own teardown frees the channel after shutting the socket.
        if (!channel || !session.healthy()) return;
        session.briefly_blocking();  // a non-blocking free may answer EAGAIN and leak the channel
        libssh2_channel_free(channel);
        session.non_blocking();
    }
};

Result<ExecResult> SshConnection::exec(const std::string& command, milliseconds timeout, const OutputSink& sink) {
    Session& s = *session_;
    auto start = Clock::now();
    auto deadline = start + timeout;
    const std::string what = "command";
    ChannelGuard guard{s};
    for (;;) {
        guard.channel = libssh2_channel_open_session(s.get());
        if (guard.channel) break;
        int err = libssh2_session_last_errno(s.get());
        if (err != LIBSSH2_ERROR_EAGAIN) return std::unexpected(s.failure("cannot open a channel", err));
        if (auto w = s.wait(deadline, what, timeout); !w) return std::unexpected(w.error());
    }
    LIBSSH2_CHANNEL* ch = guard.channel;
    auto rc = s.retry([&] { return libssh2_channel_exec(ch, command.c_str()); }, deadline, what, timeout);
    if (!rc) return std::unexpected(rc.error());
    if (*rc < 0) return std::unexpected(s.failure("cannot start the command", *rc));

    ExecResult result;
    char buffer[32768];
    for (;;) {
        bool progressed = false;
        for (int stream : {0, SSH_EXTENDED_DATA_STDERR}) {
            std::string& collected = stream == 0 ? result.out : result.err;
            for (;;) {
                ssize_t n = libssh2_channel_read_ex(ch, stream, buffer, sizeof buffer);
                if (n > 0) {
                    if (sink) sink(stream == 0 ? 0 : 1, std::string_view(buffer, static_cast<std::size_t>(n)));
                    else collected.append(buffer, static_cast<std::size_t>(n));
                    progressed = true;
                    continue;
                }
                if (n < 0 && n != LIBSSH2_ERROR_EAGAIN)
                    return std::unexpected(s.failure("reading command output", static_cast<int>(n)));
                break;
            }
        }
        if (libssh2_channel_eof(ch)) break;
        if (progressed) continue;
        if (auto w = s.wait(deadline, what, timeout); !w) return std::unexpected(w.error());
    }
    auto closed = s.retry([&] { return libssh2_channel_close(ch); }, deadline, what, timeout);
    if (!closed) return std::unexpected(closed.error());
    auto waited = s.retry([&] { return libssh2_channel_wait_closed(ch); }, deadline, what, timeout);
    if (!waited) return std::unexpected(waited.error());

    result.exit_status = libssh2_channel_get_exit_status(ch);
    char* signal = nullptr;
    std::size_t signal_len = 0;
    libssh2_channel_get_exit_signal(ch, &signal, &signal_len, nullptr, nullptr, nullptr, nullptr);
    if (signal) {
        result.exit_signal.assign(signal, signal_len);
        libssh2_free(s.get(), signal);
    }
    result.duration = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
    return result;
}


}  // namespace cc::ssh
