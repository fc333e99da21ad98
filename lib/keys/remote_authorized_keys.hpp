// Reading and replacing one remote user's ~/.ssh/authorized_keys over an open
// connection. A replacement is a compare-and-swap (lib/remote/atomic_write):
// the new file is written to a temp file in ~/.ssh, fsynced, and renamed over
// the old one only if the old one still has the bytes we read (checked under
// flock on ~/.ssh). Another
// writer in between makes the swap report a conflict, and the caller reads
// and merges again; a failure at any step leaves the old file as it was.
#pragma once
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "keys/authorized_keys.hpp"
#include "ssh/transport.hpp"

namespace cc {

// authorized_keys larger than this is refused, never read: no real file of
// keys comes near it, and a node must not make clusterctl hold gigabytes.
inline constexpr std::size_t kMaxAuthorizedKeysBytes = 1024 * 1024;

struct RemoteAuthorizedKeys {
    std::string user;
    std::string home;
    std::string uid, gid;  // all digits
    std::string login_uid;      // the uid clusterctl's connection runs as
    std::string file_id;        // "dev:inode" of the file ("" when absent)
    std::string login_file_id;  // "dev:inode" of the login user's own authorized_keys ("" when absent)
    bool exists = false;
    std::string content;  // the file's bytes ("" when absent)
    AuthorizedKeysFile parsed;
    std::string path() const { return home + "/.ssh/authorized_keys"; }
    // The file clusterctl's own login depends on: the same account by uid
    // (names differ: "root", "toor", "0"), or the very same file.
    bool is_login_account() const {
        return (!login_uid.empty() && uid == login_uid) || (!file_id.empty() && file_id == login_file_id);
    }
};

// Remote user names as useradd allows them, and never all digits (getent
// would take "0" for a uid: root); refused otherwise before any command is built.
Result<void> validate_remote_user(std::string_view user);

// The two remote scripts (exposed for unit tests; user input is quoted). The
// read script answers in sections framed by `nonce`; the replacement is
// lib/remote's write_file_atomic script, run as the file's owner.
std::string read_authorized_keys_script(const std::string& user, std::string_view nonce);
std::string replace_authorized_keys_script(const RemoteAuthorizedKeys& current, std::size_t new_size);

// Parses what the read script printed.
Result<RemoteAuthorizedKeys> parse_read_answer(const std::string& user, const ExecResult& answer,
                                               std::string_view nonce);

Result<RemoteAuthorizedKeys> read_authorized_keys(Connection& connection, const std::string& user,
                                                  std::chrono::milliseconds timeout);

enum class ReplaceOutcome { replaced, conflict };
Result<ReplaceOutcome> replace_authorized_keys(Connection& connection, const RemoteAuthorizedKeys& current,
                                               const std::string& new_content, std::chrono::milliseconds timeout);

// What a planner wants done with a file it has read.
struct KeysEdit {
    std::vector<std::string> managed_lines;     // the whole new managed block
    std::vector<std::string> drop_unmanaged;    // fingerprints of key lines outside the block to remove
};
using KeysPlanner = std::function<Result<KeysEdit>(const RemoteAuthorizedKeys& current)>;

struct EditResult {
    RemoteAuthorizedKeys before;  // as last read
    bool changed = false;         // false: the file already said what the plan wanted
    int attempts = 0;
};

// Read → plan → compare-and-swap, again on conflict (another writer got in
// between), up to `max_attempts`.
Result<EditResult> edit_authorized_keys(Connection& connection, const std::string& user, const KeysPlanner& plan,
                                        std::chrono::milliseconds timeout, int max_attempts = 8);

// The file a plan produces (pure; unit tested).
std::string apply_keys_edit(const AuthorizedKeysFile& file, const KeysEdit& edit);

// SHA256 fingerprint of an authorized_keys key line's blob ("" if it does not decode).
std::string line_fingerprint(const AuthorizedKeyLine& line);

}  // namespace cc
