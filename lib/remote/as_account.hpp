// Remote file work is done as the account that owns the files, never as root
// on paths that account controls: a root login drops to the account's uid/gid
// first (sshd, too, reads authorized_keys as the user), so a ~/.ssh linked to
// /root/.ssh, or a temp file swapped for a link, meets the kernel's own
// permission checks instead of root's.
#pragma once
#include <string>

namespace cc {

struct RemoteAccount {
    std::string name;
    std::string uid, gid;  // all digits
};

// POSIX sh defining `as_user CMD…` for the account in $u, $uid and $gid
// (set before it runs, by a script that looked the account up), then `cd /`.
std::string as_user_function();

// POSIX sh that sets u, uid and gid and defines `as_user CMD…` (runs CMD as
// that account: itself when the login is that account or not root, else
// setpriv or runuser; exit 69 where the node has neither), then `cd /`.
std::string as_account_prelude(const RemoteAccount& account);

// Exit status of as_user when the node cannot change accounts.
inline constexpr int kExitCannotActAs = 69;

}  // namespace cc
