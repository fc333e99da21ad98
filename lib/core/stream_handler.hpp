// One byte-stream conversation (a TCP connection forwarded over SSH, a pipe):
// the transport pushes bytes in and pulls bytes out, so one thread can drive
// many conversations at once without blocking on any.
#pragma once
#include <cstddef>
#include <span>
#include <string_view>

namespace cc {

class StreamHandler {
public:
    virtual ~StreamHandler() = default;
    // Bytes the peer sent; `eof` when it closed its side.
    virtual void received(std::string_view bytes, bool eof) = 0;
    // Copies up to buffer.size() bytes to send into `buffer`; 0 when nothing is ready now.
    virtual std::size_t next_output(std::span<char> buffer) = 0;
    // True when this side is finished (all output taken) and the stream may be closed.
    virtual bool finished() const = 0;
};

}  // namespace cc
