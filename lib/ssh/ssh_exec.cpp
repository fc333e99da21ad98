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

namespace {

// Writing is over for good: the channel is closed or EOF was sent already.
bool input_refused(long rc) {
    return rc == LIBSSH2_ERROR_CHANNEL_CLOSED || rc == LIBSSH2_ERROR_CHANNEL_EOF_SENT ||
           rc == LIBSSH2_ERROR_CHANNEL_UNKNOWN || rc == LIBSSH2_ERROR_CHANNEL_FAILURE;
}

}  // namespace

std::string command_from_stdin(std::size_t script_size, bool input_follows) {
    // With no input after it the script is all of stdin, and `cat` reads it at
    // full speed. With input after it nothing may read past the script: `dd
    // bs=1` asks for one byte per read(), so a pipe cannot hand it more (busybox
    // `head -c` reads ahead; GNU head does not, but a node may not have it).
    // The `.` keeps the script's trailing newlines, which $(…) would strip;
    // `eval` keeps the script out of argv (128 KiB per argument on Linux).
    std::string reader = input_follows ? fmt::format("dd bs=1 count={} 2>/dev/null", script_size) : "cat";
    return fmt::format("clusterctl_script=$({}; echo .) && eval \"${{clusterctl_script%.}}\"", reader);
}

// One poll loop feeds stdin and drains stdout/stderr together, so a remote
// that talks before it has read all its input cannot deadlock us.
//
// libssh2 1.10 keeps at most one half-sent packet per session: until a
// blocked channel_write is repeated to completion, any other packet (the
// window adjust channel_read may send, a keepalive) fails with BAD_USE. While
// ours is half-sent we therefore only pull packets in (channel_wait_eof reads
// without sending) and leave them queued for channel_read; not reading at all
// could deadlock, since sshd stops reading from a client whose output piles up.
Result<ExecResult> SshConnection::exec(const std::string& command_line, std::string_view command_input,
                                       milliseconds timeout, const OutputSink& sink) {
    Session& s = *session_;
    const bool long_line = command_line.size() > kLongCommand;
    const std::string fixed = long_line ? command_from_stdin(command_line.size(), !command_input.empty()) : "";
    const std::string& command = long_line ? fixed : command_line;
    std::string_view input = command_input;
    std::string script_and_input;
    if (long_line) {
        script_and_input = command_line;
        script_and_input.append(command_input);
        input = script_and_input;
        steps_(fmt::format("command line of {} bytes goes on stdin", command_line.size()));
    }
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
    steps_("command started");

    std::size_t written = 0;
    bool input_done = false;    // EOF sent, or the remote takes no more input
    bool send_pending = false;  // a packet of ours is half in the socket
    auto half_sent = [&] { return (libssh2_session_block_directions(s.get()) & LIBSSH2_SESSION_BLOCK_OUTBOUND) != 0; };
    // Writes what the channel window and the socket take now; true if anything moved.
    auto feed = [&]() -> Result<bool> {
        bool moved = false;
        while (written < input.size()) {
            // A remote that has finished gets no more input, but a half-sent
            // packet is completed so the session stays usable.
            if (!send_pending && libssh2_channel_eof(ch)) {
                input_done = true;
                return moved;
            }
            ssize_t n = libssh2_channel_write(ch, input.data() + written, input.size() - written);
            if (n > 0) {
                written += static_cast<std::size_t>(n);
                send_pending = false;
                moved = true;
                continue;
            }
            // 0 or EAGAIN: the window is full or the socket is busy.
            // BAD_USE: another packet (a keepalive) is half-sent; it completes later.
            if (n == 0 || n == LIBSSH2_ERROR_EAGAIN || n == LIBSSH2_ERROR_BAD_USE) {
                send_pending = n == LIBSSH2_ERROR_EAGAIN && half_sent();
                return moved;
            }
            send_pending = false;
            if (input_refused(n) || libssh2_channel_eof(ch)) {
                input_done = true;
                return moved;
            }
            return std::unexpected(s.failure("writing command input", static_cast<int>(n)));
        }
        if (!send_pending && libssh2_channel_eof(ch)) {
            input_done = true;  // the remote is done: no EOF needed
            return moved;
        }
        int sent = libssh2_channel_send_eof(ch);
        if (sent == 0) {
            input_done = true;
            send_pending = false;
            return true;
        }
        if (sent == LIBSSH2_ERROR_EAGAIN) {
            send_pending = half_sent();
            return moved;
        }
        send_pending = false;
        if (input_refused(sent) || libssh2_channel_eof(ch)) {
            input_done = true;
            return moved;
        }
        return std::unexpected(s.failure("closing command input", sent));
    };

    ExecResult result;
    char buffer[32768];
    for (;;) {
        // A node that never stops talking keeps this loop from waiting, so
        // Ctrl-C (or a closed stdout) is looked for here too; the session is
        // dropped, not closed politely behind a full window.
        if (interrupt_requested()) {
            s.mark_broken();
            return fail(ErrorKind::interrupted, "interrupted");
        }
        if (Clock::now() >= deadline)  // wait() reports the timeout and marks the session broken
            if (auto w = s.wait(deadline, what, timeout); !w) return std::unexpected(w.error());
        bool progressed = false;
        if (!input_done) {
            auto moved = feed();
            if (!moved) return std::unexpected(moved.error());
            progressed = *moved;
        }
        if (send_pending) {
            int pulled = libssh2_channel_wait_eof(ch);
            if (pulled < 0 && pulled != LIBSSH2_ERROR_EAGAIN)
                return std::unexpected(s.failure("reading command output", pulled));
        } else {
            for (int stream : {0, SSH_EXTENDED_DATA_STDERR}) {
                std::string& collected = stream == 0 ? result.out : result.err;
                for (;;) {
                    ssize_t n = libssh2_channel_read_ex(ch, stream, buffer, sizeof buffer);
                    if (n > 0) {
                        if (sink) sink(stream == 0 ? 0 : 1, std::string_view(buffer, static_cast<std::size_t>(n)));
                        else collected.append(buffer, static_cast<std::size_t>(n));
                        progressed = true;
                        // A node that never stops talking never makes a read
                        // wait: the flag and the deadline are looked at here.
                        if (interrupt_requested() || Clock::now() >= deadline) break;
                        continue;
                    }
                    if (n < 0 && n != LIBSSH2_ERROR_EAGAIN)
                        return std::unexpected(s.failure("reading command output", static_cast<int>(n)));
                    break;
                }
            }
            if (libssh2_channel_eof(ch)) break;
        }
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
    if (result.exit_signal.empty()) steps_(fmt::format("exit status {}", result.exit_status));
    else steps_(fmt::format("killed by signal {}", result.exit_signal));
    return result;
}


}  // namespace cc::ssh
