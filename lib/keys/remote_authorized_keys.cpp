#include "keys/remote_authorized_keys.hpp"

#include <algorithm>
#include <random>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "core/base64.hpp"
#include "core/interrupt.hpp"
#include "core/sha256.hpp"
#include "core/shell_quote.hpp"
#include "ssh/host_key.hpp"

namespace cc {

namespace {

// Exit statuses the scripts use to say something more precise than "failed".
constexpr int kExitConflict = 75;   // the file changed since it was read
constexpr int kExitNoUser = 67;

constexpr std::string_view kContentMarker = "@@content\n";

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace

Result<void> validate_remote_user(std::string_view user) {
    auto ok_char = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
               c == '-';
    };
    bool ok = !user.empty() && user.size() <= 32 && user.front() != '-' && user.front() != '.';
    for (char c : user) ok = ok && ok_char(c);
    if (!ok)
        return fail(ErrorKind::invalid_input,
                    fmt::format("invalid remote user \"{}\": use 1-32 of [A-Za-z0-9._-], not starting with - or .",
                                user));
    if (user.find_first_not_of("0123456789") == std::string_view::npos)
        return fail(ErrorKind::invalid_input,
                    fmt::format("invalid remote user \"{}\": a user name, not a uid (all digits)", user));
    return {};
}

namespace {

// Both scripts do their file work as the account whose file it is, never as
// root on paths that account controls: a root login drops to U's uid/gid
// first (sshd, too, reads authorized_keys as the user), so a ~/.ssh linked to
// /root/.ssh, or a temp file swapped for a link, meets the kernel's own
// permission checks instead of root's. `u`, `uid` and `gid` are set before.
constexpr std::string_view kAsUser = R"SH(as_user() {
  if [ "$(id -u)" != 0 ] || [ "$uid" = 0 ]; then "$@"
  elif command -v setpriv >/dev/null 2>&1; then setpriv --reuid="$uid" --regid="$gid" --init-groups -- "$@"
  elif command -v runuser >/dev/null 2>&1; then runuser -u "$u" -- "$@"
  else echo "cannot act as \"$u\": this node has neither setpriv nor runuser, and clusterctl does not edit another user's files as root" >&2; exit 69
  fi
}
cd / || exit 1
)SH";

// Run as U, $1 = home. Never opens a link, a FIFO or a device: `test` first,
// then dd with O_NOFOLLOW|O_NONBLOCK, and never more than the size cap.
constexpr std::string_view kReadAsUser = R"SH(d="$1/.ssh"; f="$d/authorized_keys"
if [ -L "$d" ]; then echo "$d is a symbolic link: clusterctl does not edit through links" >&2; exit 65; fi
if [ -e "$d" ] && [ ! -d "$d" ]; then echo "$d is not a directory: refused" >&2; exit 65; fi
if [ -L "$f" ]; then echo "$f is a symbolic link: clusterctl does not edit through links" >&2; exit 65; fi
if [ ! -e "$f" ]; then printf 'exists\t0\n@@content\n'; exit 0; fi
if [ ! -f "$f" ]; then echo "$f is not a regular file (a FIFO, device or directory): refused" >&2; exit 65; fi
size=$(stat -c %s -- "$f") && id=$(stat -c %d:%i -- "$f") || exit 1
if [ "$size" -gt @MAX@ ]; then echo "$f is $size bytes, over clusterctl's limit of @MAX@ bytes: refused" >&2; exit 65; fi
printf 'file\t%s\nexists\t1\n@@content\n' "$id"
exec dd if="$f" iflag=nofollow,nonblock,fullblock,count_bytes bs=65536 count=@MAX@ status=none
)SH";

// Run as U, $1 = ~/.ssh, $2 = the hash the file must still have, $3 = bytes
// on stdin. The temp file is written and checked before the lock is taken;
// the check-and-rename under the lock is the only critical section.
constexpr std::string_view kReplaceAsUser = R"SH(d=$1; f="$d/authorized_keys"; want=$2
for tool in flock mktemp sha256sum stat dd; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool not found on this node" >&2; exit 69; }
done
if [ -L "$d" ]; then echo "$d is a symbolic link: clusterctl does not edit through links" >&2; exit 65; fi
if [ ! -e "$d" ]; then mkdir -m 700 -- "$d" || exit 1; fi
if [ ! -d "$d" ]; then echo "$d is not a directory: refused" >&2; exit 65; fi
tmp=$(mktemp "$d/.authorized_keys.clusterctl.XXXXXX") || exit 1
trap 'rm -f -- "$tmp"' EXIT
trap 'exit 1' HUP INT TERM PIPE
cat > "$tmp" || { echo "cannot write $tmp" >&2; exit 1; }
got=$(wc -c < "$tmp")
[ "$got" -eq "$3" ] || { echo "wrote $got of $3 bytes to $tmp (connection cut?)" >&2; exit 1; }
exec 9< "$d" || exit 1
flock -w 10 9 || { echo "cannot lock $d within 10 s" >&2; exit 1; }
if [ -L "$d" ] || [ -L "$f" ]; then echo "$f: a symbolic link appeared: clusterctl does not edit through links" >&2; exit 65; fi
if [ -e "$f" ]; then
  [ -f "$f" ] || { echo "$f is not a regular file (a FIFO, device or directory): refused" >&2; exit 65; }
  have=$(dd if="$f" iflag=nofollow,nonblock,fullblock,count_bytes bs=65536 count=@MAX_PLUS_1@ status=none | sha256sum | cut -c1-64) &&
    mode=$(stat -c %a -- "$f") || exit 1
else
  have=absent; mode=600
fi
[ "$have" = "$want" ] || exit @CONFLICT@
chmod "$mode" -- "$tmp" || exit 1
sync -- "$tmp" 2>/dev/null || sync
mv -fT -- "$tmp" "$f" || exit 1
trap - EXIT
sync -- "$d" 2>/dev/null || true
)SH";

std::string with_limits(std::string_view script) {
    std::string out(script);
    auto put = [&](std::string_view name, std::size_t value) {
        for (auto at = out.find(name); at != std::string::npos; at = out.find(name, at))
            out.replace(at, name.size(), std::to_string(value));
    };
    put("@MAX_PLUS_1@", kMaxAuthorizedKeysBytes + 1);
    put("@MAX@", kMaxAuthorizedKeysBytes);
    put("@CONFLICT@", kExitConflict);
    return out;
}

}  // namespace

std::string read_authorized_keys_script(const std::string& user) {
    // getent covers LDAP/SSSD users; /etc/passwd is the fallback where there is no getent.
    // login_file is the login user's own file, for the lock-out guard to compare.
    return fmt::format(R"SH(u={user}
entry=$(getent passwd "$u" 2>/dev/null || awk -F: -v u="$u" '$1 == u' /etc/passwd)
[ -n "$entry" ] || {{ echo "no user \"$u\" on this node" >&2; exit {no_user}; }}
IFS=: read -r _ _ uid gid _ home _ <<EOF
$entry
EOF
case "$uid:$gid" in *[!0-9:]*|:*|*:) echo "user \"$u\" has no numeric uid/gid on this node" >&2; exit 1;; esac
login_file=$(stat -L -c %d:%i -- "$HOME/.ssh/authorized_keys" 2>/dev/null) || login_file=-
printf 'home\t%s\nuid\t%s\ngid\t%s\nlogin_uid\t%s\nlogin_file\t%s\n' "$home" "$uid" "$gid" "$(id -u)" "$login_file"
{as_user}as_user sh -c {inner} sh "$home"
)SH",
                       fmt::arg("user", shell_quote(user)), fmt::arg("no_user", kExitNoUser),
                       fmt::arg("as_user", kAsUser), fmt::arg("inner", shell_quote(with_limits(kReadAsUser))));
}

std::string replace_authorized_keys_script(const RemoteAuthorizedKeys& current, std::size_t new_size) {
    return fmt::format("u={user}; uid={uid}; gid={gid}; want={want}\n{as_user}as_user sh -c {inner} sh {dir} \"$want\" {size}\n",
                       fmt::arg("user", shell_quote(current.user)), fmt::arg("uid", shell_quote(current.uid)),
                       fmt::arg("gid", shell_quote(current.gid)),
                       fmt::arg("want", current.exists ? sha256_hex(current.content) : "absent"),
                       fmt::arg("as_user", kAsUser), fmt::arg("inner", shell_quote(with_limits(kReplaceAsUser))),
                       fmt::arg("dir", shell_quote(current.home + "/.ssh")), fmt::arg("size", new_size));
}

Result<RemoteAuthorizedKeys> parse_read_answer(const std::string& user, const ExecResult& answer) {
    if (!answer.exit_signal.empty())
        return fail(ErrorKind::remote, fmt::format("reading authorized_keys: killed by SIG{}", answer.exit_signal));
    if (answer.exit_status == kExitNoUser) return fail(ErrorKind::invalid_input, first_line(answer.err));
    if (answer.exit_status != 0)
        return fail(ErrorKind::remote, fmt::format("reading authorized_keys of \"{}\" failed (exit status {}): {}",
                                                   user, answer.exit_status, first_line(answer.err)));
    auto marker = answer.out.find(kContentMarker);
    if (marker == std::string::npos)
        return fail(ErrorKind::remote, "reading authorized_keys: the answer has no content section");
    RemoteAuthorizedKeys r;
    r.user = user;
    std::string_view header = std::string_view(answer.out).substr(0, marker);
    while (!header.empty()) {
        auto nl = header.find('\n');
        std::string_view line = header.substr(0, nl);
        header.remove_prefix(nl == std::string_view::npos ? header.size() : nl + 1);
        auto tab = line.find('\t');
        if (tab == std::string_view::npos) continue;
        std::string_view key = line.substr(0, tab), value = line.substr(tab + 1);
        if (key == "home") r.home = std::string(value);
        else if (key == "uid") r.uid = std::string(value);
        else if (key == "gid") r.gid = std::string(value);
        else if (key == "exists") r.exists = value == "1";
        else if (key == "login_uid") r.login_uid = std::string(value);
        else if (key == "file") r.file_id = std::string(value);
        else if (key == "login_file") r.login_file_id = value == "-" ? "" : std::string(value);
    }
    auto numeric = [](const std::string& s) {
        return !s.empty() && s.size() <= 10 && s.find_first_not_of("0123456789") == std::string::npos;
    };
    if (!numeric(r.uid) || !numeric(r.gid))
        return fail(ErrorKind::remote, fmt::format("user \"{}\" has no numeric uid/gid on this node", user));
    if (r.home.empty() || r.home.front() != '/')
        return fail(ErrorKind::remote, fmt::format("user \"{}\" has no usable home directory on this node", user));
    r.content = answer.out.substr(marker + kContentMarker.size());
    auto parsed = parse_authorized_keys(r.content);
    if (!parsed)
        return fail(ErrorKind::remote, fmt::format("{}: {} (fix the markers by hand; nothing was changed)", r.path(),
                                                   parsed.error().message));
    r.parsed = std::move(*parsed);
    return r;
}

Result<RemoteAuthorizedKeys> read_authorized_keys(Connection& connection, const std::string& user,
                                                  std::chrono::milliseconds timeout) {
    // The node caps the file; a node that sends more anyway is not believed,
    // and not held in memory past the cap.
    constexpr std::size_t kMaxAnswer = kMaxAuthorizedKeysBytes + 4096, kMaxErr = 4096;
    std::string out, err;
    bool too_long = false;
    auto ran = connection.exec(read_authorized_keys_script(user), timeout, [&](int stream, std::string_view data) {
        std::string& into = stream == 0 ? out : err;
        const std::size_t cap = stream == 0 ? kMaxAnswer : kMaxErr;
        if (into.size() + data.size() > cap) too_long = too_long || stream == 0;
        into.append(data.substr(0, cap - std::min(cap, into.size())));
    });
    if (!ran) return std::unexpected(ran.error());
    if (too_long)
        return fail(ErrorKind::remote, fmt::format("reading authorized_keys of \"{}\": the node sent more than {} bytes",
                                                   user, kMaxAnswer));
    ran->out = std::move(out);
    ran->err = std::move(err);
    return parse_read_answer(user, *ran);
}

Result<ReplaceOutcome> replace_authorized_keys(Connection& connection, const RemoteAuthorizedKeys& current,
                                               const std::string& new_content, std::chrono::milliseconds timeout) {
    auto ran = connection.exec(replace_authorized_keys_script(current, new_content.size()), new_content, timeout,
                               nullptr);
    if (!ran) return std::unexpected(ran.error());
    if (ran->exit_signal.empty() && ran->exit_status == 0) return ReplaceOutcome::replaced;
    if (ran->exit_signal.empty() && ran->exit_status == kExitConflict) return ReplaceOutcome::conflict;
    std::string why = first_line(ran->err);
    if (why.empty()) why = ran->exit_signal.empty() ? fmt::format("exit status {}", ran->exit_status)
                                                    : "killed by SIG" + ran->exit_signal;
    return fail(ErrorKind::remote, fmt::format("replacing {} failed, the old file is unchanged: {}", current.path(), why));
}

std::string line_fingerprint(const AuthorizedKeyLine& line) {
    auto blob = base64_decode(line.base64);
    return blob ? sha256_fingerprint(*blob) : std::string();
}

std::string apply_keys_edit(const AuthorizedKeysFile& file, const KeysEdit& edit) {
    if (edit.drop_unmanaged.empty()) return render_authorized_keys(file, edit.managed_lines);
    const std::set<std::string> drop(edit.drop_unmanaged.begin(), edit.drop_unmanaged.end());
    AuthorizedKeysFile kept = file;
    // Which list holds the file's last line (the one that may lack its newline).
    const auto* tail = !file.after.empty() ? &file.after : file.had_block ? nullptr : &file.before;
    bool dropped_last = false;
    for (auto [lines, original] : {std::pair{&kept.before, &file.before}, std::pair{&kept.after, &file.after}}) {
        std::vector<AuthorizedKeyLine> out;
        for (std::size_t i = 0; i < original->size(); ++i) {
            const auto& line = (*original)[i];
            if (line.is_key && drop.contains(line_fingerprint(line))) {
                dropped_last = dropped_last || (original == tail && i + 1 == original->size());
                continue;
            }
            out.push_back(line);
        }
        *lines = std::move(out);
    }
    // The line that lacked its newline is gone: the lines left all had theirs.
    if (dropped_last) kept.ended_with_newline = true;
    return render_authorized_keys(kept, edit.managed_lines);
}

Result<EditResult> edit_authorized_keys(Connection& connection, const std::string& user, const KeysPlanner& plan,
                                        std::chrono::milliseconds timeout, int max_attempts) {
    thread_local std::minstd_rand jitter{std::random_device{}()};
    EditResult result;
    for (result.attempts = 1; result.attempts <= max_attempts; ++result.attempts) {
        auto current = read_authorized_keys(connection, user, timeout);
        if (!current) return std::unexpected(current.error());
        auto edit = plan(*current);
        if (!edit) return std::unexpected(edit.error());
        std::string wanted = apply_keys_edit(current->parsed, *edit);
        result.before = std::move(*current);
        if (wanted == result.before.content && (result.before.exists || wanted.empty())) return result;
        auto swapped = replace_authorized_keys(connection, result.before, wanted, timeout);
        if (!swapped) return std::unexpected(swapped.error());
        if (*swapped == ReplaceOutcome::replaced) {
            result.changed = true;
            return result;
        }
        if (interrupt_requested()) return fail(ErrorKind::interrupted, "interrupted");
        // Another writer got in between: back off a little, at random, so two
        // writers that collided do not collide again in lockstep.
        std::this_thread::sleep_for(std::chrono::milliseconds(20 + jitter() % (40 * result.attempts)));
    }
    return fail(ErrorKind::remote, fmt::format("{}/.ssh/authorized_keys kept changing under us ({} attempts); "
                                               "nothing was written",
                                               result.before.home, max_attempts));
}

}  // namespace cc
