#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/line_splitter.hpp"

using cc::LineSplitter;

namespace {

// Feeds `chunks` one after another and returns every line emitted, the unfinished one last.
std::vector<std::string> split(const std::vector<std::string>& chunks, std::size_t max_line = 8) {
    LineSplitter splitter(max_line);
    std::vector<std::string> lines;
    auto collect = [&](std::string_view line) { lines.emplace_back(line); };
    for (const auto& chunk : chunks) splitter.feed(chunk, collect);
    splitter.finish(collect);
    return lines;
}

}  // namespace

TEST_CASE("lines are cut at newlines however the chunks fall") {
    using V = std::vector<std::string>;
    CHECK(split({"one\ntwo\n"}) == V{"one", "two"});
    CHECK(split({"o", "ne\ntw", "o\n", "\n"}) == V{"one", "two", ""});
    CHECK(split({"no newline at the end\n", "tail"}, 64) == V{"no newline at the end", "tail"});
    CHECK(split({}).empty());
}

TEST_CASE("a line longer than the limit is emitted in pieces of the limit") {
    using V = std::vector<std::string>;
    CHECK(split({"abcdefghij\n"}, 4) == V{"abcd", "efgh", "ij"});
    CHECK(split({"ab", "cdef", "ghij", "\n"}, 4) == V{"abcd", "efgh", "ij"});
    // Exactly the limit followed by a newline is one line, not a piece and an empty line.
    CHECK(split({"abcd\nx"}, 4) == V{"abcd", "x"});
    CHECK(split({"abcd", "\nx"}, 4) == V{"abcd", "x"});
    CHECK(split({"abcde"}, 4) == V{"abcd", "e"});
}

TEST_CASE("an endless line never holds more than the limit") {
    LineSplitter splitter(1024);
    std::size_t emitted = 0, pieces = 0;
    std::string chunk(4000, 'x');
    for (int i = 0; i < 1000; ++i) {
        splitter.feed(chunk, [&](std::string_view line) {
            CHECK(line.size() == 1024);
            emitted += line.size();
            ++pieces;
        });
        REQUIRE(splitter.pending() <= 1024);
    }
    splitter.finish([&](std::string_view line) { emitted += line.size(); });
    CHECK(emitted == 4'000'000);
    CHECK(pieces == 4'000'000 / 1024);
}

TEST_CASE("binary bytes pass through a line untouched") {
    std::string data("a\0b\xff", 4);
    auto lines = split({data + "\n"});
    REQUIRE(lines.size() == 1);
    CHECK(lines[0] == data);
}
