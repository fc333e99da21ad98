// One input read once and handed to many readers (every node's stdin), at the
// pace of the slowest reader, in bounded memory.
#pragma once
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/byte_source.hpp"

namespace cc {

// A producer thread reads `upstream` into a ring of at most `max_chunks`
// chunks; each reader has its own cursor, and a chunk is dropped once every
// reader still attached has read past it. When the ring is full the producer
// waits, so the input moves at the pace of the slowest reader. A reader that
// stops early (its node failed or finished) must detach, or it holds the
// others back. EOF and a read error of the upstream reach every reader, after
// the bytes before them.
//
// The first `at_once` readers start together (the fan-out width); the others
// start when reader(index) is called. While some have not started (more nodes
// than the fan-out runs at once), the ring keeps the
// input for them as long as it has room; when it is full and only they hold
// it back, they are left behind: their reads fail, saying why, instead of
// stalling everyone. An input that fits in the ring reaches every reader.
class BroadcastSource {
public:
    struct Limits {
        std::size_t chunk_size = 64 * 1024;
        std::size_t max_chunks = 32;  // so at most 2 MiB held, however many readers
    };

    // All `readers` exist from the start (at offset 0): one that begins reading
    // late still gets every byte. `upstream` must outlive this object, and its
    // read must return within about its `wait` (so the destructor is prompt).
    BroadcastSource(ByteSource& upstream, std::size_t readers, std::size_t at_once, Limits limits);
    BroadcastSource(ByteSource& upstream, std::size_t readers, std::size_t at_once)
        : BroadcastSource(upstream, readers, at_once, Limits{}) {}
    BroadcastSource(const BroadcastSource&) = delete;
    BroadcastSource& operator=(const BroadcastSource&) = delete;
    // Stops the producer; upstream bytes not read yet stay unread.
    ~BroadcastSource();

    // Reader `index`'s stream (this starts it). One thread at a time per reader.
    ByteSource& reader(std::size_t index);
    // Reader `index` reads no more: it never holds the others back again (idempotent).
    void detach(std::size_t index);

    // The most bytes the ring held at once (for tests of the memory bound).
    std::size_t peak_buffered() const;

private:
    class Reader;
    enum class State { waiting, reading, detached, left_behind };
    struct Cursor {
        std::uint64_t chunk = 0;   // absolute index of the next chunk to read
        std::size_t offset = 0;    // bytes of that chunk already read
        State state = State::waiting;
    };

    Result<Chunk> read_for(std::size_t index, std::span<char> buffer, std::chrono::milliseconds wait);
    void produce();
    void drop_read_chunks();  // with mutex_ held
    bool nobody_reads() const;

    ByteSource& upstream_;
    const Limits limits_;
    mutable std::mutex mutex_;
    std::condition_variable readable_;  // a chunk, EOF or an error arrived
    std::condition_variable writable_;  // a chunk was dropped, a reader detached, or stop
    std::deque<std::vector<char>> ring_;
    std::uint64_t first_chunk_ = 0;  // absolute index of ring_.front()
    std::size_t buffered_ = 0, peak_buffered_ = 0;
    std::vector<Cursor> cursors_;
    std::vector<std::unique_ptr<Reader>> readers_;
    bool eof_ = false;
    std::optional<Error> error_;
    bool stop_ = false;
    std::thread producer_;
};

}  // namespace cc
