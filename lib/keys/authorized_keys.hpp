// A remote user's ~/.ssh/authorized_keys, split around the one block that
// clusterctl owns. Lines outside the block are never changed, reordered or
// lost: render() reproduces them byte for byte.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "keys/public_key.hpp"

namespace cc {

struct AuthorizedKeyLine {
    std::string raw;        // the line exactly as read, without its "\n" (a "\r" stays)
    bool is_key = false;    // false: blank, comment, or unparseable line (kept verbatim)
    std::string options;    // from="10.0.0.0/8",no-port-forwarding,command="echo a,b"
    std::string type, base64, comment;
};

struct AuthorizedKeysFile {
    std::vector<AuthorizedKeyLine> before;   // lines before the managed block
    std::vector<AuthorizedKeyLine> managed;  // lines inside it (keys clusterctl put there)
    std::vector<AuthorizedKeyLine> after;    // lines after it
    bool had_block = false;
    bool ended_with_newline = true;  // to reproduce a file without a trailing newline byte for byte
};

inline constexpr std::string_view kManagedBegin =
    "# BEGIN clusterctl managed keys (do not edit; `clusterctl key sync` rewrites this block)";
inline constexpr std::string_view kManagedEnd = "# END clusterctl managed keys";

// Reads a line the way sshd does: a first field that is a key type means no
// options; otherwise the options run to the first space outside double quotes
// (\" does not end a quote).
AuthorizedKeyLine parse_authorized_key_line(std::string_view line);

// Fails on BEGIN without END, END without BEGIN, or two blocks. A BEGIN line is
// recognised by its "# BEGIN clusterctl managed keys" prefix, so that a later
// wording of the marker still finds the block.
Result<AuthorizedKeysFile> parse_authorized_keys(std::string_view text);

// Replaces the managed block with these lines (written with "\n" and the
// canonical markers); creates the block at the end when absent; an empty list
// removes the block. Lines outside it come back byte for byte, including a
// missing final newline unless a block is appended after that line.
// Each managed line must be a single line (no "\n").
std::string render_authorized_keys(const AuthorizedKeysFile& file, const std::vector<std::string>& managed_lines);

// Key lines outside the managed block (for `key audit` / `sync --exclusive`).
std::vector<AuthorizedKeyLine> unmanaged_keys(const AuthorizedKeysFile& file);

// Checks an options field given with `key push --options`: one line, quotes
// closed, no blank outside quotes (sshd would read the rest as the key type),
// no empty item. The message names the problem.
Result<void> validate_key_options(std::string_view options);

// The line clusterctl writes: "[options ]type base64[ comment]".
std::string render_key_line(const PublicKey& key, std::string_view options);

}  // namespace cc
