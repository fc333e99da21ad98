#include "core/broadcast_source.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace cc {

namespace {

// How long the producer waits on the upstream per read before it looks at the
// stop flag again.
constexpr std::chrono::milliseconds kUpstreamWait{100};

}  // namespace

class BroadcastSource::Reader final : public ByteSource {
public:
    Reader(BroadcastSource& owner, std::size_t index) : owner_(owner), index_(index) {}
    Result<Chunk> read(std::span<char> buffer, std::chrono::milliseconds wait) override {
        return owner_.read_for(index_, buffer, wait);
    }

private:
    BroadcastSource& owner_;
    std::size_t index_;
};

BroadcastSource::BroadcastSource(ByteSource& upstream, std::size_t readers, std::size_t at_once, Limits limits)
    : upstream_(upstream), limits_{std::max<std::size_t>(limits.chunk_size, 1), std::max<std::size_t>(limits.max_chunks, 1)},
      cursors_(readers) {
    for (std::size_t i = 0; i < std::min(at_once, readers); ++i) cursors_[i].state = State::reading;
    readers_.reserve(readers);
    for (std::size_t i = 0; i < readers; ++i) readers_.push_back(std::make_unique<Reader>(*this, i));
    producer_ = std::thread([this] { produce(); });
}

BroadcastSource::~BroadcastSource() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    writable_.notify_all();
    producer_.join();
}

ByteSource& BroadcastSource::reader(std::size_t index) {
    std::lock_guard lock(mutex_);
    Cursor& cursor = cursors_.at(index);
    if (cursor.state == State::waiting) cursor.state = State::reading;
    return *readers_[index];
}

void BroadcastSource::detach(std::size_t index) {
    {
        std::lock_guard lock(mutex_);
        Cursor& cursor = cursors_.at(index);
        if (cursor.state != State::left_behind) cursor.state = State::detached;
        drop_read_chunks();
    }
    writable_.notify_all();
}

std::size_t BroadcastSource::peak_buffered() const {
    std::lock_guard lock(mutex_);
    return peak_buffered_;
}

bool BroadcastSource::nobody_reads() const {
    return std::none_of(cursors_.begin(), cursors_.end(),
                        [](const Cursor& c) { return c.state == State::waiting || c.state == State::reading; });
}

void BroadcastSource::drop_read_chunks() {
    while (!ring_.empty()) {
        auto at_front = [&](State state) {
            return std::any_of(cursors_.begin(), cursors_.end(),
                               [&](const Cursor& c) { return c.state == state && c.chunk == first_chunk_; });
        };
        if (at_front(State::reading)) return;
        if (at_front(State::waiting)) {
            if (ring_.size() < limits_.max_chunks) return;  // room left: keep it for them
            for (Cursor& c : cursors_)
                if (c.state == State::waiting) c.state = State::left_behind;
        }
        buffered_ -= ring_.front().size();
        ring_.pop_front();
        ++first_chunk_;
    }
}

Result<Chunk> BroadcastSource::read_for(std::size_t index, std::span<char> buffer, std::chrono::milliseconds wait) {
    std::unique_lock lock(mutex_);
    Cursor& cursor = cursors_.at(index);
    if (cursor.state == State::detached) return Chunk{0, true};
    if (cursor.state == State::left_behind)
        return fail(ErrorKind::io, fmt::format("the input moved on before this one started: with more readers than "
                                               "run at once, only an input of at most {} bytes reaches them all",
                                               limits_.chunk_size * limits_.max_chunks));
    auto ready = [&] { return cursor.chunk < first_chunk_ + ring_.size() || eof_ || error_; };
    readable_.wait_for(lock, wait, ready);
    if (cursor.chunk < first_chunk_ + ring_.size()) {
        const std::vector<char>& chunk = ring_[cursor.chunk - first_chunk_];
        std::size_t n = std::min(buffer.size(), chunk.size() - cursor.offset);
        std::copy_n(chunk.data() + cursor.offset, n, buffer.data());
        cursor.offset += n;
        bool dropped = false;
        if (cursor.offset == chunk.size()) {
            ++cursor.chunk;
            cursor.offset = 0;
            std::size_t before = ring_.size();
            drop_read_chunks();
            dropped = ring_.size() != before;
        }
        bool at_end = eof_ && cursor.chunk == first_chunk_ + ring_.size();
        lock.unlock();
        if (dropped) writable_.notify_all();
        return Chunk{n, at_end};
    }
    if (error_) return std::unexpected(*error_);
    return Chunk{0, eof_};
}

void BroadcastSource::produce() {
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            writable_.wait(lock, [&] {
                drop_read_chunks();  // a full ring may be held only by readers that never started
                return stop_ || nobody_reads() || ring_.size() < limits_.max_chunks;
            });
            if (stop_ || nobody_reads()) return;  // leave the rest of the input unread
        }
        std::vector<char> chunk(limits_.chunk_size);
        auto got = upstream_.read(chunk, kUpstreamWait);
        {
            std::lock_guard lock(mutex_);
            if (!got) {
                error_ = got.error();
            } else {
                chunk.resize(got->size);
                if (!chunk.empty()) {
                    buffered_ += chunk.size();
                    peak_buffered_ = std::max(peak_buffered_, buffered_);
                    ring_.push_back(std::move(chunk));
                }
                eof_ = got->eof;
            }
        }
        readable_.notify_all();
        if (!got || got->eof) return;
    }
}

}  // namespace cc
