// Remote port forwarding (ssh -R) driving StreamHandlers: see Connection::serve_remote_port.
#include <array>
#include <list>
#include <vector>

#include "ssh/ssh_connection.hpp"

namespace cc {

// Test fakes and transports without forwarding refuse.
Result<ForwardStats> Connection::serve_remote_port(const std::string& bind_host, const std::function<void(int)>&,
                                                   const std::function<std::unique_ptr<StreamHandler>()>&,
                                                   const std::atomic<bool>&, std::chrono::milliseconds) {
    return fail(ErrorKind::remote, "cannot listen on " + bind_host + ": this connection has no port forwarding");
}

namespace ssh {

namespace {

// How many connections the node's sshd queues for us before we accept them.
constexpr int kListenQueue = 32;
// One SSH data packet's worth: what one write hands libssh2 at most.
constexpr std::size_t kChunk = 32 * 1024;

// One forwarded TCP connection: its channel and the handler that answers it.
// `out` holds the bytes taken from the handler and not yet sent: a write that
// libssh2 half-sent must be repeated with the same bytes.
struct Forwarded {
    LIBSSH2_CHANNEL* channel = nullptr;
    std::unique_ptr<StreamHandler> handler;
    std::array<char, kChunk> out{};
    std::size_t out_begin = 0, out_end = 0;
    bool peer_eof = false;
    bool done = false;  // closed on our side: freed at the end of the turn
};

bool half_sent(LIBSSH2_SESSION* s) { return (libssh2_session_block_directions(s) & LIBSSH2_SESSION_BLOCK_OUTBOUND) != 0; }

bool socket_error(long rc) {
    return rc == LIBSSH2_ERROR_SOCKET_DISCONNECT || rc == LIBSSH2_ERROR_SOCKET_RECV || rc == LIBSSH2_ERROR_SOCKET_SEND ||
           rc == LIBSSH2_ERROR_SOCKET_TIMEOUT;
}

// Frees channels and cancels the listener on every way out.
struct ForwardGuard {
    Session& session;
    LIBSSH2_LISTENER* listener = nullptr;
    std::list<Forwarded> open;
    ~ForwardGuard() {
        if (!session.healthy()) return;  // the session's teardown frees them after shutting the socket
        session.briefly_blocking();
        for (auto& f : open) libssh2_channel_free(f.channel);
        if (listener) libssh2_channel_forward_cancel(listener);
        session.non_blocking();
    }
    // Blocking for a moment: a close is two small packets, and a non-blocking
    // one could leave a half-sent packet behind that every other channel trips on.
    void close(Forwarded& f) {
        session.briefly_blocking();
        libssh2_channel_send_eof(f.channel);
        libssh2_channel_free(f.channel);
        session.non_blocking();
        f.channel = nullptr;
        f.done = true;
    }
};

}  // namespace

// All connections on this one thread, each turn: finish a half-sent packet
// first (libssh2 1.10 keeps one per session and refuses any other packet until
// it is sent, BAD_USE), accept what the node queued, then for each connection
// read what it sent into its handler and write what the handler has as the
// channel window takes it. A handler is asked for output only when the last
// chunk is gone, so a blob is read from disk as fast as the node takes it.
Result<ForwardStats> SshConnection::serve_remote_port(const std::string& bind_host,
                                                      const std::function<void(int)>& bound,
                                                      const std::function<std::unique_ptr<StreamHandler>()>& make_handler,
                                                      const std::atomic<bool>& stop, milliseconds idle_timeout) {
    Session& s = *session_;
    const std::string what = "port forwarding";
    ForwardGuard guard{s, nullptr, {}};
    int port = 0;
    auto listen_deadline = Clock::now() + idle_timeout;
    for (;;) {
        guard.listener = libssh2_channel_forward_listen_ex(s.get(), bind_host.c_str(), 0, &port, kListenQueue);
        if (guard.listener) break;
        int err = libssh2_session_last_errno(s.get());
        if (err != LIBSSH2_ERROR_EAGAIN) {
            // A refusal (AllowTcpForwarding no) leaves the session usable.
            if (err == LIBSSH2_ERROR_REQUEST_DENIED)
                return fail(ErrorKind::remote, fmt::format("{}: the node refused to listen on {} (is AllowTcpForwarding off?)",
                                                           describe(s.target()), bind_host));
            return std::unexpected(s.failure("cannot listen on " + bind_host, err));
        }
        if (auto w = s.wait(listen_deadline, what, idle_timeout); !w) return std::unexpected(w.error());
    }
    steps_(fmt::format("listening on {}:{} on the node", bind_host, port));
    if (bound) bound(port);

    ForwardStats stats;
    Forwarded* pending = nullptr;  // the connection whose packet is half-sent
    auto last_moved = Clock::now();
    char in[kChunk];

    // Writes what `f`'s handler has; true when bytes moved. Sets `pending` on a half-sent packet.
    auto pump_out = [&](Forwarded& f) -> Result<bool> {
        bool moved = false;
        for (;;) {
            if (f.out_begin == f.out_end) {
                f.out_begin = 0;
                f.out_end = f.handler->next_output(f.out);
                if (f.out_end == 0) return moved;
            }
            ssize_t n = libssh2_channel_write(f.channel, f.out.data() + f.out_begin, f.out_end - f.out_begin);
            if (n > 0) {
                f.out_begin += static_cast<std::size_t>(n);
                stats.bytes_sent += static_cast<std::uint64_t>(n);
                moved = true;
                pending = nullptr;
                continue;
            }
            if (n == 0 || n == LIBSSH2_ERROR_EAGAIN || n == LIBSSH2_ERROR_BAD_USE) {
                if (n == LIBSSH2_ERROR_EAGAIN && half_sent(s.get())) pending = &f;
                return moved;
            }
            if (socket_error(n)) return std::unexpected(s.failure("forwarding to the node", static_cast<int>(n)));
            if (pending == &f) pending = nullptr;
            guard.close(f);  // this connection is gone; the others go on
            return moved;
        }
    };

    while (!stop.load()) {
        if (interrupt_requested()) {
            s.mark_broken();
            return fail(ErrorKind::interrupted, "interrupted");
        }
        bool moved = false;
        if (pending) {
            auto wrote = pump_out(*pending);
            if (!wrote) return std::unexpected(wrote.error());
            moved = *wrote;
        }
        if (!pending) {
            for (;;) {
                LIBSSH2_CHANNEL* channel = libssh2_channel_forward_accept(guard.listener);
                if (!channel) {
                    int err = libssh2_session_last_errno(s.get());
                    if (err == LIBSSH2_ERROR_EAGAIN) break;
                    return std::unexpected(s.failure("accepting a forwarded connection", err));
                }
                auto& f = guard.open.emplace_back();
                f.channel = channel;
                f.handler = make_handler();
                ++stats.connections;
                moved = true;
                steps_(fmt::format("connection {} accepted", stats.connections));
            }
        }
        for (auto& f : guard.open) {
            if (pending) break;
            if (f.done) continue;
            while (!f.peer_eof) {
                ssize_t n = libssh2_channel_read(f.channel, in, sizeof in);
                if (n > 0) {
                    stats.bytes_received += static_cast<std::uint64_t>(n);
                    f.handler->received(std::string_view(in, static_cast<std::size_t>(n)), false);
                    moved = true;
                    continue;
                }
                if (n == 0 || n == LIBSSH2_ERROR_EAGAIN) {
                    if (libssh2_channel_eof(f.channel)) {
                        f.peer_eof = true;
                        f.handler->received({}, true);
                        moved = true;
                    }
                    break;
                }
                if (n == LIBSSH2_ERROR_BAD_USE) break;  // a window adjust waits for a half-sent packet
                if (socket_error(n)) return std::unexpected(s.failure("reading from the node", static_cast<int>(n)));
                f.peer_eof = true;
                f.handler->received({}, true);
            }
            auto wrote = pump_out(f);
            if (!wrote) return std::unexpected(wrote.error());
            moved = moved || *wrote;
            if (!pending && !f.done && f.out_begin == f.out_end && f.handler->finished()) {
                guard.close(f);
                moved = true;
            }
        }
        guard.open.remove_if([](const Forwarded& f) { return f.done; });

        auto now = Clock::now();
        if (moved) {
            last_moved = now;
            continue;
        }
        // A node with connections open that moves nothing is stuck; with none open
        // it is between requests, which the caller bounds by stopping us.
        if (guard.open.empty()) last_moved = now;
        // wait() fails only when its deadline has passed on entry: here, only
        // once the idle timeout has.
        auto wait_until = std::min(now + milliseconds(100), last_moved + idle_timeout);
        if (auto w = s.wait(wait_until, what, idle_timeout); !w) return std::unexpected(w.error());
    }
    steps_(fmt::format("forwarding stopped after {} connections, {} bytes sent", stats.connections, stats.bytes_sent));
    return stats;
}

}  // namespace ssh
}  // namespace cc
