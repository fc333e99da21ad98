// Cuts a byte stream that arrives in arbitrary chunks into lines, holding at
// most `max_line` bytes of an unfinished line: a node that prints 100 MB
// without a newline costs 64 KiB here, not 100 MB, and every byte is looked
// at once (searching the whole pending buffer per chunk was quadratic).
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace cc {

class LineSplitter {
public:
    using Emit = std::function<void(std::string_view line)>;  // the line without its '\n'
    static constexpr std::size_t kDefaultMaxLine = 64 * 1024;

    explicit LineSplitter(std::size_t max_line = kDefaultMaxLine) : max_line_(max_line == 0 ? 1 : max_line) {}

    // Emits every line that `data` completes; a line that reaches max_line
    // bytes without a newline is emitted in max_line-sized pieces.
    void feed(std::string_view data, const Emit& emit);
    // Emits the unfinished last line, if any.
    void finish(const Emit& emit);
    std::size_t pending() const { return pending_.size(); }

private:
    std::size_t max_line_;
    std::string pending_;
};

}  // namespace cc
