// Text that came from a node (output, key comments, file names, error
// messages) may carry terminal escape sequences. Everything cli/ prints in a
// table, a note or an error goes through here first.
#pragma once
#include <string>
#include <string_view>

namespace cc {

// Control bytes (C0, DEL, the C1 range as UTF-8) and bytes that are not valid
// UTF-8 become visible escapes (\e, \x1b-style \xNN, \t, \n, \r); printable
// text, UTF-8 included, stays as it is. `keep_newlines` leaves '\n' alone
// (multi-line notes); table cells escape it so a row stays one line.
std::string terminal_safe(std::string_view text, bool keep_newlines = false);

}  // namespace cc
