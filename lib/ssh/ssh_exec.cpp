#include "ssh/ssh_connection.hpp"

#include <array>

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

namespace {

// What goes on the channel's stdin: a long command line's script first, then
// the source, pulled one buffer at a time, so memory stays one buffer however
// much input there is. The pending bytes stay put until libssh2 took them:
// a half-sent packet must be repeated with the same data.
class ChannelInput {
public:
    ChannelInput(std::string_view script, ByteSource& source) : script_(script), source_(source) {}

    // The bytes to write next: empty at the end of input, or when the source
    // has none within `wait` (then starved() is true).
    Result<std::string_view> pending(milliseconds wait) {
        starved_ = false;
        if (!script_.empty()) return script_;
        if (begin_ < end_) return std::string_view(buffer_.data() + begin_, end_ - begin_);
        if (eof_) return std::string_view();
        auto chunk = source_.read(buffer_, wait);
        if (!chunk) return std::unexpected(chunk.error());
        begin_ = 0;
        end_ = chunk->size;
        eof_ = chunk->eof;
        starved_ = end_ == 0 && !eof_;
        return std::string_view(buffer_.data(), end_);
    }
    void consume(std::size_t n) {
        std::size_t from_script = std::min(n, script_.size());
        script_.remove_prefix(from_script);
        begin_ += n - from_script;
    }
    bool finished() const { return script_.empty() && begin_ == end_ && eof_; }
    bool starved() const { return starved_; }

private:
    std::string_view script_;
    ByteSource& source_;
    std::array<char, 64 * 1024> buffer_;
    std::size_t begin_ = 0, end_ = 0;
    bool eof_ = false;
    bool starved_ = false;
};

// How long one turn of the loop waits for a source that has nothing yet: short,
// since meanwhile the remote's output is not read and its window not opened.
constexpr milliseconds kSourceWait{10};

}  // namespace

Result<ExecResult> SshConnection::exec(const std::string& command, std::string_view input, milliseconds timeout,
                                       const OutputSink& sink) {
    MemorySource source(input);
    return exec(command, source, timeout, sink);
}

// One poll loop feeds stdin and drains stdout/stderr together, so a remote
// that talks before it has read all its input cannot deadlock us. Input is
// pulled from the source only as the channel window takes it (back-pressure:
// a slow node slows its source), and a source with nothing to give is waited
// on only briefly, so the deadline, Ctrl-C and the output are still seen.
//
// libssh2 1.10 keeps at most one half-sent packet per session: until a
// blocked channel_write is repeated to completion, any other packet (the
// window adjust channel_read may send, a keepalive) fails with BAD_USE. While
// ours is half-sent we therefore only pull packets in (channel_wait_eof reads
// without sending) and leave them queued for channel_read; not reading at all
// could deadlock, since sshd stops reading from a client whose output piles up.
Result<ExecResult> SshConnection::exec(const std::string& command_line, ByteSource& command_input,
                                       milliseconds timeout, const OutputSink& sink) {
    Session& s = *session_;
    const bool long_line = command_line.size() > kLongCommand;
    const auto input_size = command_input.known_size();
    const bool input_follows = !input_size || *input_size > 0;
    const std::string fixed = long_line ? command_from_stdin(command_line.size(), input_follows) : "";
    const std::string& command = long_line ? fixed : command_line;
    if (long_line) steps_(fmt::format("command line of {} bytes goes on stdin", command_line.size()));
    ChannelInput input(long_line ? std::string_view(command_line) : std::string_view(), command_input);
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
    if (pty_) {
        auto asked = s.retry(
            [&] {
                return libssh2_channel_request_pty_ex(ch, pty_->term.c_str(), static_cast<unsigned>(pty_->term.size()),
                                                      nullptr, 0, static_cast<int>(pty_->cols),
                                                      static_cast<int>(pty_->rows), 0, 0);
            },
            deadline, what, timeout);
        if (!asked) return std::unexpected(asked.error());
        if (*asked < 0) return std::unexpected(s.failure("cannot get a pseudo-terminal", *asked));
        steps_("pseudo-terminal granted");
    }
    auto rc = s.retry([&] { return libssh2_channel_exec(ch, command.c_str()); }, deadline, what, timeout);
    if (!rc) return std::unexpected(rc.error());
    if (*rc < 0) return std::unexpected(s.failure("cannot start the command", *rc));
    steps_("command started");

    bool input_done = false;    // EOF sent, or the remote takes no more input
    bool send_pending = false;  // a packet of ours is half in the socket
    auto half_sent = [&] { return (libssh2_session_block_directions(s.get()) & LIBSSH2_SESSION_BLOCK_OUTBOUND) != 0; };
    // Writes what the channel window and the socket take now; true if anything moved.
    auto feed = [&](milliseconds source_wait) -> Result<bool> {
        bool moved = false;
        for (;;) {
            // A remote that has finished gets no more input, but a half-sent
            // packet is completed so the session stays usable.
            if (!send_pending && libssh2_channel_eof(ch)) {
                input_done = true;  // the remote is done: no EOF needed
                return moved;
            }
            auto data = input.pending(moved ? milliseconds(0) : source_wait);
            if (!data) return std::unexpected(data.error());
            if (data->empty()) break;
            ssize_t n = libssh2_channel_write(ch, data->data(), data->size());
            if (n > 0) {
                input.consume(static_cast<std::size_t>(n));
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
        if (!input.finished()) return moved;  // starved: the source has nothing yet
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
    bool idle = false;  // the last turn moved nothing: the next may wait on the source
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
            auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
            auto moved = feed(idle ? std::clamp(left, milliseconds(0), kSourceWait) : milliseconds(0));
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
        idle = !progressed;
        if (progressed) continue;
        // Waiting for the source, not the socket: the next feed waits on it.
        if (!input_done && !send_pending && input.starved()) {
            s.keep_alive();
            continue;
        }
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
