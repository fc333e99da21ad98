#include "core/terminal.hpp"

#include <fmt/format.h>

namespace cc {

namespace {

// Length of the valid UTF-8 sequence starting at text[i], or 0.
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char lead = byte(i);
    std::size_t length = lead >= 0xF0 && lead <= 0xF4 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 0;
    if (length == 0 || i + length > text.size()) return 0;
    for (std::size_t k = 1; k < length; ++k)
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
    unsigned code = lead & (0x7F >> length);
    for (std::size_t k = 1; k < length; ++k) code = (code << 6) | (byte(i + k) & 0x3F);
    bool overlong = (length == 3 && code < 0x800) || (length == 4 && code < 0x10000);
    bool surrogate = code >= 0xD800 && code <= 0xDFFF;
    bool c1 = code >= 0x80 && code <= 0x9F;  // CSI (U+009B) starts an escape sequence on many terminals
    if (overlong || surrogate || code > 0x10FFFF || c1) return 0;
    return length;
}

}  // namespace

std::string terminal_safe(std::string_view text, bool keep_newlines) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7F) {
            out += static_cast<char>(c);
            ++i;
            continue;
        }
        if (c >= 0x80) {
            if (std::size_t n = utf8_sequence(text, i); n > 0) {
                out.append(text.substr(i, n));
                i += n;
                continue;
            }
        }
        switch (c) {
            case '\n': out += keep_newlines ? "\n" : "\\n"; break;
            case '\t': out += "\\t"; break;
            case '\r': out += "\\r"; break;
            case 0x1B: out += "\\e"; break;
            default: out += fmt::format("\\x{:02x}", c); break;
        }
        ++i;
    }
    return out;
}

}  // namespace cc
