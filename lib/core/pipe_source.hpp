// A pipe, socket or terminal read as a ByteSource (exec's own stdin): a read
// waits at most `wait` for bytes, so whoever pulls can still watch a deadline
// and Ctrl-C while the writer is idle.
#pragma once
#include <cerrno>
#include <cstring>
#include <poll.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/byte_source.hpp"

namespace cc {

class PipeSource final : public ByteSource {
public:
    // `fd` stays open and is never switched to non-blocking (it is shared with
    // the shell that started us); `name` is for messages ("stdin").
    PipeSource(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}

    Result<Chunk> read(std::span<char> buffer, std::chrono::milliseconds wait) override {
        pollfd p{fd_, POLLIN, 0};
        int ready = ::poll(&p, 1, static_cast<int>(wait.count()));
        if (ready < 0 && errno != EINTR) return fail(ErrorKind::io, fmt::format("reading {}: {}", name_, std::strerror(errno)));
        if (ready <= 0) return Chunk{0, false};
        for (;;) {
            ssize_t n = ::read(fd_, buffer.data(), buffer.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == EAGAIN) return Chunk{0, false};  // a non-blocking descriptor we were given
            if (n < 0) return fail(ErrorKind::io, fmt::format("reading {}: {}", name_, std::strerror(errno)));
            return Chunk{static_cast<std::size_t>(n), n == 0};
        }
    }

private:
    int fd_;
    std::string name_;
};

}  // namespace cc
