// One input read once for many readers: every reader gets the same bytes,
// the slowest sets the pace, a reader that leaves releases the others, and the
// memory held stays within the ring whatever the input's size.
#include <doctest/doctest.h>

#include <atomic>
#include <unistd.h>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/broadcast_source.hpp"
#include "core/pipe_source.hpp"

namespace {

using namespace std::chrono_literals;

// `total` bytes of a pattern that differs at every offset; counts what was pulled.
class PatternSource final : public cc::ByteSource {
public:
    explicit PatternSource(std::uint64_t total, std::optional<cc::Error> error_at_end = {})
        : total_(total), error_at_end_(std::move(error_at_end)) {}
    cc::Result<cc::Chunk> read(std::span<char> buffer, std::chrono::milliseconds) override {
        std::uint64_t at = pulled.load();
        if (at == total_ && error_at_end_) return std::unexpected(*error_at_end_);
        std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), total_ - at));
        for (std::size_t i = 0; i < n; ++i) buffer[i] = byte_at(at + i);
        pulled += n;
        return cc::Chunk{n, !error_at_end_ && pulled == total_};
    }
    static char byte_at(std::uint64_t offset) { return static_cast<char>((offset * 7 + offset / 251) & 0xff); }
    std::atomic<std::uint64_t> pulled{0};

private:
    std::uint64_t total_;
    std::optional<cc::Error> error_at_end_;
};

// Never has a byte: like a terminal nobody types on.
class SilentSource final : public cc::ByteSource {
public:
    cc::Result<cc::Chunk> read(std::span<char>, std::chrono::milliseconds wait) override {
        std::this_thread::sleep_for(wait);
        return cc::Chunk{0, false};
    }
};

struct ReadAll {
    std::string bytes;
    std::optional<cc::Error> error;
};

// Reads until EOF or an error, taking `pause` between reads (a slow node).
ReadAll read_all(cc::ByteSource& source, std::chrono::milliseconds pause = 0ms, std::size_t buffer_size = 10'000) {
    ReadAll got;
    std::vector<char> buffer(buffer_size);
    for (;;) {
        auto chunk = source.read(buffer, 50ms);
        if (!chunk) {
            got.error = chunk.error();
            return got;
        }
        got.bytes.append(buffer.data(), chunk->size);
        if (chunk->eof) return got;
        if (pause > 0ms) std::this_thread::sleep_for(pause);
    }
}

std::string expected_pattern(std::uint64_t total) {
    std::string bytes(total, '\0');
    for (std::uint64_t i = 0; i < total; ++i) bytes[i] = PatternSource::byte_at(i);
    return bytes;
}

constexpr cc::BroadcastSource::Limits kSmallRing{4096, 4};  // 16 KiB

}  // namespace

TEST_CASE("every reader of a broadcast gets the same bytes as the input, to EOF") {
    const std::uint64_t total = 1'000'003;  // many rings' worth, and not a multiple of a chunk
    PatternSource input(total);
    cc::BroadcastSource broadcast(input, 4, 4, kSmallRing);
    std::vector<ReadAll> got(4);
    std::vector<std::thread> readers;
    for (std::size_t i = 0; i < 4; ++i)
        readers.emplace_back([&, i] { got[i] = read_all(broadcast.reader(i), 0ms, 1000 + 3000 * i); });
    for (auto& t : readers) t.join();
    const std::string expected = expected_pattern(total);
    for (const auto& g : got) {
        CHECK_FALSE(g.error);
        CHECK(g.bytes.size() == total);
        CHECK(g.bytes == expected);
    }
    CHECK(input.pulled == total);  // read once, not once per reader
    CHECK(broadcast.peak_buffered() <= kSmallRing.chunk_size * kSmallRing.max_chunks);
}

TEST_CASE("a reader that has not read yet holds the input back, and detaching it releases the others") {
    const std::uint64_t total = 200'000;
    PatternSource input(total);
    cc::BroadcastSource broadcast(input, 2, 2, kSmallRing);
    ReadAll fast;  // reader 1 started (its node is connecting, say) but reads nothing
    std::thread reader([&] { fast = read_all(broadcast.reader(0)); });
    std::this_thread::sleep_for(300ms);
    // The producer stopped at one full ring (plus the chunk it was reading).
    const std::uint64_t ring = kSmallRing.chunk_size * kSmallRing.max_chunks;
    CHECK(input.pulled <= ring + kSmallRing.chunk_size);
    CHECK(input.pulled < total);
    broadcast.detach(1);
    reader.join();
    CHECK(fast.bytes == expected_pattern(total));
    CHECK(broadcast.peak_buffered() <= ring);
}

TEST_CASE("readers that start late still get an input that fits in the ring") {
    PatternSource input(10'000);
    cc::BroadcastSource broadcast(input, 3, 1, kSmallRing);  // one at a time
    auto first = read_all(broadcast.reader(0));
    broadcast.detach(0);
    auto second = read_all(broadcast.reader(1));
    broadcast.detach(1);
    auto third = read_all(broadcast.reader(2));
    for (const auto* got : {&first, &second, &third}) CHECK(got->bytes == expected_pattern(10'000));
}

TEST_CASE("readers that never started do not hold back a larger input: when they start they are told why they missed it") {
    const std::uint64_t total = 100'000;  // over the 16 KiB ring
    PatternSource input(total);
    cc::BroadcastSource broadcast(input, 3, 1, kSmallRing);
    auto first = read_all(broadcast.reader(0));  // readers 1 and 2 wait their turn (fan-out width 1)
    CHECK(first.bytes == expected_pattern(total));
    broadcast.detach(0);
    auto late = read_all(broadcast.reader(1));
    CHECK(late.bytes.empty());
    REQUIRE(late.error);
    CHECK(late.error->message.find("at most 16384 bytes") != std::string::npos);
}

TEST_CASE("a slow reader sets the pace and still gets every byte while memory stays within the ring") {
    const std::uint64_t total = 300'000;
    PatternSource input(total);
    cc::BroadcastSource broadcast(input, 3, 3, kSmallRing);
    std::vector<ReadAll> got(3);
    std::thread slow([&] { got[0] = read_all(broadcast.reader(0), 1ms, 4096); });
    std::thread fast1([&] { got[1] = read_all(broadcast.reader(1)); });
    std::thread fast2([&] { got[2] = read_all(broadcast.reader(2)); });
    slow.join();
    fast1.join();
    fast2.join();
    for (const auto& g : got) CHECK(g.bytes == expected_pattern(total));
    CHECK(broadcast.peak_buffered() <= kSmallRing.chunk_size * kSmallRing.max_chunks);
}

TEST_CASE("a read error of the input reaches every reader after the bytes before it") {
    PatternSource input(50'000, cc::Error{cc::ErrorKind::io, "reading stdin: Input/output error"});
    cc::BroadcastSource broadcast(input, 3, 3, kSmallRing);
    std::vector<ReadAll> got(3);
    std::vector<std::thread> readers;
    for (std::size_t i = 0; i < 3; ++i) readers.emplace_back([&, i] { got[i] = read_all(broadcast.reader(i)); });
    for (auto& t : readers) t.join();
    for (const auto& g : got) {
        CHECK(g.bytes == expected_pattern(50'000));
        REQUIRE(g.error);
        CHECK(g.error->message == "reading stdin: Input/output error");
    }
}

TEST_CASE("when every reader has detached the rest of the input is left unread") {
    PatternSource input(10'000'000);
    {
        cc::BroadcastSource broadcast(input, 2, 2, kSmallRing);
        std::vector<char> buffer(100);
        REQUIRE(broadcast.reader(0).read(buffer, 1s));
        broadcast.detach(0);
        broadcast.detach(1);
        std::this_thread::sleep_for(100ms);
        CHECK(broadcast.reader(0).read(buffer, 0ms)->eof);  // a detached reader reads no more
    }
    CHECK(input.pulled < 100'000);
}

TEST_CASE("a reader waits no longer than asked when the input has nothing yet, and the broadcast ends promptly") {
    SilentSource input;
    auto start = std::chrono::steady_clock::now();
    {
        cc::BroadcastSource broadcast(input, 1, 1);
        std::vector<char> buffer(100);
        auto asked = std::chrono::steady_clock::now();
        auto chunk = broadcast.reader(0).read(buffer, 20ms);
        REQUIRE(chunk);
        CHECK(chunk->size == 0);
        CHECK_FALSE(chunk->eof);
        CHECK(std::chrono::steady_clock::now() - asked < 500ms);
    }
    CHECK(std::chrono::steady_clock::now() - start < 1s);
}

TEST_CASE("a pipe source waits no longer than asked, then gives the bytes written and EOF when the writer closes") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    cc::PipeSource source(fds[0], "stdin");
    std::vector<char> buffer(100);
    auto asked = std::chrono::steady_clock::now();
    auto nothing = source.read(buffer, 50ms);
    REQUIRE(nothing);
    CHECK(nothing->size == 0);
    CHECK_FALSE(nothing->eof);
    CHECK(std::chrono::steady_clock::now() - asked >= 40ms);
    REQUIRE(::write(fds[1], "hi\n", 3) == 3);
    ::close(fds[1]);
    auto some = source.read(buffer, 1s);
    REQUIRE(some);
    CHECK(std::string(buffer.data(), some->size) == "hi\n");
    auto end = source.read(buffer, 1s);
    REQUIRE(end);
    CHECK(end->eof);
    ::close(fds[0]);
}
