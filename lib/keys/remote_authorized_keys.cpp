#include "keys/remote_authorized_keys.hpp"

#include <random>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "core/interrupt.hpp"
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
    return {};
}

std::string sha256_hex(std::string_view bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
    std::string hex;
    for (unsigned i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
    return hex;
}

std::string read_authorized_keys_script(const std::string& user) {
    // getent covers LDAP/SSSD users; /etc/passwd is the fallback where there is no getent.
    return fmt::format(R"SH(u={user}
entry=$(getent passwd "$u" 2>/dev/null || awk -F: -v u="$u" '$1 == u' /etc/passwd)
[ -n "$entry" ] || {{ echo "no user \"$u\" on this node" >&2; exit {no_user}; }}
IFS=: read -r _ _ uid gid _ home _ <<EOF
$entry
EOF
printf 'home\t%s\nuid\t%s\ngid\t%s\n' "$home" "$uid" "$gid"
f="$home/.ssh/authorized_keys"
if [ -L "$f" ]; then echo "$f is a symbolic link: clusterctl does not edit through links" >&2; exit 65; fi
if [ -e "$f" ]; then printf 'exists\t1\n@@content\n'; exec cat -- "$f"; fi
printf 'exists\t0\n@@content\n'
)SH",
                       fmt::arg("user", shell_quote(user)), fmt::arg("no_user", kExitNoUser));
}

std::string replace_authorized_keys_script(const RemoteAuthorizedKeys& current, std::size_t new_size) {
    const std::string dir = current.home + "/.ssh";
    // The temp file is written and checked before the lock is taken; the
    // check-and-rename under the lock is the only critical section.
    return fmt::format(R"SH(d={dir}; f={file}; owner={owner}; want={want}
for tool in flock mktemp sha256sum stat; do
  command -v "$tool" >/dev/null 2>&1 || {{ echo "$tool not found on this node" >&2; exit 69; }}
done
if [ ! -d "$d" ]; then
  mkdir -m 700 -- "$d" && chown "$owner" -- "$d" || exit 1
fi
tmp=$(mktemp "$d/.authorized_keys.clusterctl.XXXXXX") || exit 1
trap 'rm -f -- "$tmp"' EXIT
trap 'exit 1' HUP INT TERM PIPE
cat > "$tmp" || {{ echo "cannot write $tmp" >&2; exit 1; }}
got=$(wc -c < "$tmp")
[ "$got" -eq {size} ] || {{ echo "wrote $got of {size} bytes to $tmp (connection cut?)" >&2; exit 1; }}
exec 9< "$d" || exit 1
flock -w 10 9 || {{ echo "cannot lock $d within 10 s" >&2; exit 1; }}
if [ -L "$f" ]; then echo "$f is a symbolic link: clusterctl does not edit through links" >&2; exit 65; fi
if [ -e "$f" ]; then
  have=$(sha256sum < "$f" | cut -c1-64) && owner=$(stat -c %u:%g -- "$f") && mode=$(stat -c %a -- "$f") || exit 1
else
  have=absent; mode=600
fi
[ "$have" = "$want" ] || exit {conflict}
chown "$owner" -- "$tmp" && chmod "$mode" -- "$tmp" || exit 1
sync -- "$tmp" 2>/dev/null || sync
mv -f -- "$tmp" "$f" || exit 1
trap - EXIT
sync -- "$d" 2>/dev/null || true
)SH",
                       fmt::arg("dir", shell_quote(dir)), fmt::arg("file", shell_quote(current.path())),
                       fmt::arg("owner", shell_quote(current.uid + ":" + current.gid)),
                       fmt::arg("want", current.exists ? sha256_hex(current.content) : "absent"),
                       fmt::arg("size", new_size), fmt::arg("conflict", kExitConflict));
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
    }
    if (r.home.empty() || r.home.front() != '/' || r.uid.empty() || r.gid.empty())
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
    auto ran = connection.exec(read_authorized_keys_script(user), timeout);
    if (!ran) return std::unexpected(ran.error());
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
