#include <doctest/doctest.h>

#include "core/terminal.hpp"

using cc::terminal_safe;

TEST_CASE("printable ASCII and UTF-8 text pass through unchanged") {
    CHECK(terminal_safe("alice@lab ed25519") == "alice@lab ed25519");
    CHECK(terminal_safe("Grüße, 東京 🚀") == "Grüße, 東京 🚀");
}

TEST_CASE("escape sequences from a node are shown, not obeyed") {
    CHECK(terminal_safe("\x1b[2J\x1b[Hpwned") == "\\e[2J\\e[Hpwned");
    CHECK(terminal_safe("bell\a") == "bell\\x07");
    CHECK(terminal_safe("del\x7f") == "del\\x7f");
    CHECK(terminal_safe(std::string("nul\0x", 5)) == "nul\\x00x");
}

TEST_CASE("C1 controls and invalid UTF-8 are escaped byte by byte") {
    CHECK(terminal_safe("\xc2\x9b" "31m") == "\\xc2\\x9b31m");  // U+009B CSI
    CHECK(terminal_safe("\x9b" "31m") == "\\x9b31m");
    CHECK(terminal_safe("\xff\xfe") == "\\xff\\xfe");
    CHECK(terminal_safe("\xe2\x82") == "\\xe2\\x82");          // truncated sequence
    CHECK(terminal_safe("\xc0\xaf") == "\\xc0\\xaf");          // overlong '/'
}

TEST_CASE("newlines are escaped in cells and kept in notes when asked") {
    CHECK(terminal_safe("a\nb\tc\r") == "a\\nb\\tc\\r");
    CHECK(terminal_safe("a\nb", true) == "a\nb");
    CHECK(terminal_safe("a\x1b\nb", true) == "a\\e\nb");
}
