// Internal to lib/ssh: a libssh2 session with its socket, and the deadline
// loop every libssh2 call goes through (non-blocking mode, poll on the socket).
#pragma once
#include <cerrno>
#include <chrono>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libssh2.h>
#include <libssh2_sftp.h>

#include <fmt/format.h>

#include "core/interrupt.hpp"
#include "ssh/transport.hpp"

namespace cc::ssh {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

inline std::string seconds_text(milliseconds d) { return fmt::format("{:g}s", static_cast<double>(d.count()) / 1000.0); }

inline int remaining_ms(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 250));  // wake often to see Ctrl-C
}

// Connection steps with the time since connecting began, for -v.
class Steps {
public:
    Steps(StepLog log, std::string node) : log_(std::move(log)), node_(std::move(node)), start_(Clock::now()) {}
    explicit operator bool() const { return static_cast<bool>(log_); }
    void operator()(std::string_view what) const {
        if (!log_) return;
        auto ms = std::chrono::duration_cast<milliseconds>(Clock::now() - start_).count();
        log_(fmt::format("{}: {} ms: {}", node_, ms, what));
    }

private:
    StepLog log_;
    std::string node_;
    Clock::time_point start_;
};

class Socket {
public:
    explicit Socket(int fd = -1) : fd_(fd) {}
    Socket(Socket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    Socket& operator=(Socket&& o) noexcept {
        std::swap(fd_, o.fd_);
        return *this;
    }
    ~Socket() {
        if (fd_ >= 0) ::close(fd_);
    }
    int fd() const { return fd_; }

private:
    int fd_;
};


inline std::string last_error(LIBSSH2_SESSION* session) {
    char* message = nullptr;
    libssh2_session_last_error(session, &message, nullptr, 0);
    return message ? message : "unknown libssh2 error";
}

// A session with its socket and the deadline loop every call goes through.
class Session {
public:
    Session(Socket sock, Target target) : sock_(std::move(sock)), target_(std::move(target)) {
        session_ = libssh2_session_init_ex(nullptr, nullptr, nullptr, nullptr);
        if (session_) libssh2_session_set_blocking(session_, 0);
    }
    Session(const Session&) = delete;
    ~Session() {
        if (!session_) return;
        // Non-blocking libssh2_session_free may answer EAGAIN and free nothing:
        // tear down in blocking mode, bounded by a short session timeout.
        // A broken session (deadline passed mid-exchange) gets its socket shut
        // first: libssh2 then frees open channels without waiting for the peer.
        if (!healthy_) ::shutdown(sock_.fd(), SHUT_RDWR);
        briefly_blocking();
        if (healthy_) libssh2_session_disconnect(session_, "clusterctl done");
        libssh2_session_free(session_);
    }

    // Blocking mode with a short bound, for teardown calls that must finish.
    void briefly_blocking() {
        libssh2_session_set_timeout(session_, 500);
        libssh2_session_set_blocking(session_, 1);
    }
    void non_blocking() {
        libssh2_session_set_blocking(session_, 0);
        libssh2_session_set_timeout(session_, 0);
    }

    LIBSSH2_SESSION* get() const { return session_; }
    const Target& target() const { return target_; }
    void mark_broken() { healthy_ = false; }
    bool healthy() const { return healthy_; }
    void mark_established() { established_ = true; }

    // Waits for the socket in the direction libssh2 is blocked on; sends
    // keepalives while waiting. Returns an error on deadline or Ctrl-C.
    Result<void> wait(Clock::time_point deadline, const std::string& what, milliseconds budget) {
        // Interrupted work is abandoned, not closed politely: a polite close
        // drains whatever the node still sends (a `yes`), which can take seconds.
        if (interrupt_requested()) {
            healthy_ = false;
            return fail(ErrorKind::interrupted, "interrupted");
        }
        if (Clock::now() >= deadline) {
            healthy_ = false;
            return fail(ErrorKind::timeout, fmt::format("{}: {} timed out after {}", describe(target_), what,
                                                        seconds_text(budget)));
        }
        int directions = libssh2_session_block_directions(session_);
        pollfd p{sock_.fd(), 0, 0};
        if (directions & LIBSSH2_SESSION_BLOCK_INBOUND) p.events |= POLLIN;
        if (directions & LIBSSH2_SESSION_BLOCK_OUTBOUND) p.events |= POLLOUT;
        if (p.events == 0) p.events = POLLIN;
        if (::poll(&p, 1, remaining_ms(deadline)) < 0 && errno != EINTR)
            return fail(ErrorKind::io, fmt::format("poll: {}", std::strerror(errno)));
        keep_alive();
        return {};
    }

    // Sends a keepalive when one is due.
    void keep_alive() {
        // Keepalives are packets too: sending one mid key exchange breaks it.
        if (!established_) return;
        int next = 0;
        libssh2_keepalive_send(session_, &next);
    }

    // Repeats `step` while libssh2 says EAGAIN.
    template <class Step>
    Result<int> retry(Step step, Clock::time_point deadline, const std::string& what, milliseconds budget) {
        for (;;) {
            int rc = step();
            if (rc != LIBSSH2_ERROR_EAGAIN) return rc;
            if (auto w = wait(deadline, what, budget); !w) return std::unexpected(w.error());
        }
    }

    Error failure(const std::string& what, int rc) {
        healthy_ = false;
        ErrorKind kind = (rc == LIBSSH2_ERROR_SOCKET_DISCONNECT || rc == LIBSSH2_ERROR_SOCKET_RECV ||
                          rc == LIBSSH2_ERROR_SOCKET_SEND)
                             ? ErrorKind::unreachable
                             : ErrorKind::remote;
        return {kind, fmt::format("{}: {}: {}", describe(target_), what, last_error(session_))};
    }

private:
    Socket sock_;
    Target target_;
    LIBSSH2_SESSION* session_ = nullptr;
    bool healthy_ = true;
    bool established_ = false;
};

}  // namespace cc::ssh
