// A pull-based stream of input bytes: what a remote command's stdin or an
// uploaded file is read from, chunk by chunk, so nothing needs to be held whole.
#pragma once
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

#include "core/error.hpp"

namespace cc {

struct Chunk {
    std::size_t size = 0;  // bytes written into the buffer
    bool eof = false;      // no byte will follow; size 0 and !eof means "nothing yet, ask again"
};

class ByteSource {
public:
    virtual ~ByteSource() = default;
    // Copies up to buffer.size() bytes into `buffer`, waiting at most `wait`
    // for them (back-pressure: a caller that stops asking slows the producer).
    // Never waits much longer than `wait`: the caller's loop also watches a
    // deadline, Ctrl-C and the remote's output.
    virtual Result<Chunk> read(std::span<char> buffer, std::chrono::milliseconds wait) = 0;
    // How many bytes are left, when that is known without reading them (a
    // buffer in memory); a remote that needs to know whether any input
    // follows (ssh_exec's long command lines) asks this.
    virtual std::optional<std::uint64_t> known_size() const { return std::nullopt; }
};

// Bytes already in memory (a small script's stdin); `text` must outlive it.
class MemorySource final : public ByteSource {
public:
    explicit MemorySource(std::string_view text) : rest_(text) {}
    Result<Chunk> read(std::span<char> buffer, std::chrono::milliseconds) override {
        std::size_t n = std::min(buffer.size(), rest_.size());
        if (n) std::memcpy(buffer.data(), rest_.data(), n);
        rest_.remove_prefix(n);
        return Chunk{n, rest_.empty()};
    }
    std::optional<std::uint64_t> known_size() const override { return rest_.size(); }

private:
    std::string_view rest_;
};

}  // namespace cc
