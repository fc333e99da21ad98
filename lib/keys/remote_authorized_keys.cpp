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
#include "remote/as_account.hpp"
#include "remote/atomic_write.hpp"
#include "remote/command.hpp"
#include "remote/sections.hpp"
#include "ssh/host_key.hpp"

namespace cc {

namespace {

// The read script's exit status for a user the node does not have.
constexpr int kExitNoUser = 67;

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

// Run as U (lib/remote/as_account), $1 = home. Never opens a link, a FIFO or
// a device: `test` first, then dd with O_NOFOLLOW|O_NONBLOCK, and never more
// than the size cap. Its answer is sections (lib/remote/sections).
constexpr std::string_view kReadAsUser = R"SH(d="$1/.ssh"; f="$d/authorized_keys"
if [ -L "$d" ]; then echo "$d is a symbolic link: clusterctl does not edit through links" >&2; exit 65; fi
if [ -e "$d" ] && [ ! -d "$d" ]; then echo "$d is not a directory: refused" >&2; exit 65; fi
if [ -L "$f" ]; then echo "$f is a symbolic link: clusterctl does not edit through links" >&2; exit 65; fi
if [ ! -e "$f" ]; then section exists; printf 0; section content; exit 0; fi
if [ ! -f "$f" ]; then echo "$f is not a regular file (a FIFO, device or directory): refused" >&2; exit 65; fi
size=$(stat -c %s -- "$f") && id=$(stat -c %d:%i -- "$f") || exit 1
if [ "$size" -gt @MAX@ ]; then echo "$f is $size bytes, over clusterctl's limit of @MAX@ bytes: refused" >&2; exit 65; fi
section file; printf %s "$id"; section exists; printf 1; section content
dd if="$f" iflag=nofollow,nonblock,fullblock,count_bytes bs=65536 count=@MAX@ status=none
)SH";

std::string with_limits(std::string_view script) {
    std::string out(script);
    const std::string name = "@MAX@", value = std::to_string(kMaxAuthorizedKeysBytes);
    for (auto at = out.find(name); at != std::string::npos; at = out.find(name, at)) out.replace(at, name.size(), value);
    return out;
}

// The authorized_keys replacement is lib/remote's atomic write, as the file's owner.
AtomicWriteOptions replace_options(const RemoteAuthorizedKeys& current, std::size_t new_size,
                                   std::chrono::milliseconds timeout) {
    AtomicWriteOptions options;
    options.size = new_size;
    options.as = RemoteAccount{current.user, current.uid, current.gid};
    options.mode = 0600;
    options.create_dir_mode = 0700;
    options.refuse_linked_dir = true;
    options.max_hashed_bytes = kMaxAuthorizedKeysBytes;
    options.timeout = timeout;
    return options;
}

ExpectedHash expected_for(const RemoteAuthorizedKeys& current) {
    return current.exists ? ExpectedHash::of(sha256_hex(current.content)) : ExpectedHash::absent();
}

}  // namespace

std::string read_authorized_keys_script(const std::string& user, std::string_view nonce) {
    // getent covers LDAP/SSSD users; /etc/passwd is the fallback where there is no getent.
    // login_file is the login user's own file, for the lock-out guard to compare.
    return fmt::format(R"SH(u={user}
{sections}entry=$(getent passwd "$u" 2>/dev/null || awk -F: -v u="$u" '$1 == u' /etc/passwd)
[ -n "$entry" ] || {{ echo "no user \"$u\" on this node" >&2; exit {no_user}; }}
IFS=: read -r _ _ uid gid _ home _ <<EOF
$entry
EOF
case "$uid:$gid" in *[!0-9:]*|:*|*:) echo "user \"$u\" has no numeric uid/gid on this node" >&2; exit 1;; esac
login_file=$(stat -L -c %d:%i -- "$HOME/.ssh/authorized_keys" 2>/dev/null) || login_file=-
section home; printf %s "$home"; section uid; printf %s "$uid"; section gid; printf %s "$gid"
section login_uid; printf %s "$(id -u)"; section login_file; printf %s "$login_file"
{as_user}as_user sh -c {inner} sh "$home" || exit
sections_end
)SH",
                       fmt::arg("user", shell_quote(user)), fmt::arg("sections", section_functions(nonce)),
                       fmt::arg("no_user", kExitNoUser), fmt::arg("as_user", as_user_function()),
                       fmt::arg("inner", shell_quote(section_functions(nonce) + with_limits(kReadAsUser))));
}

std::string replace_authorized_keys_script(const RemoteAuthorizedKeys& current, std::size_t new_size) {
    return write_file_atomic_script(current.path(), expected_for(current),
                                    replace_options(current, new_size, std::chrono::seconds(30)));
}

Result<RemoteAuthorizedKeys> parse_read_answer(const std::string& user, const ExecResult& answer,
                                               std::string_view nonce) {
    if (!answer.exit_signal.empty())
        return fail(ErrorKind::remote, fmt::format("reading authorized_keys: killed by SIG{}", answer.exit_signal));
    if (answer.exit_status == kExitNoUser) return fail(ErrorKind::invalid_input, first_line(answer.err));
    if (answer.exit_status != 0)
        return fail(ErrorKind::remote, fmt::format("reading authorized_keys of \"{}\" failed (exit status {}): {}",
                                                   user, answer.exit_status, first_line(answer.err)));
    auto sections = parse_sections(answer.out, nonce, {.max_bytes = kMaxAuthorizedKeysBytes + 4096});
    if (!sections) return fail(ErrorKind::remote, "reading authorized_keys: " + sections.error().message);
    if (!sections->has("content"))
        return fail(ErrorKind::remote, "reading authorized_keys: the answer has no content section");
    RemoteAuthorizedKeys r;
    r.user = user;
    r.home = std::string(sections->value("home"));
    r.uid = std::string(sections->value("uid"));
    r.gid = std::string(sections->value("gid"));
    r.exists = sections->value("exists") == "1";
    r.login_uid = std::string(sections->value("login_uid"));
    r.file_id = std::string(sections->value("file"));
    std::string_view login_file = sections->value("login_file");
    r.login_file_id = login_file == "-" ? "" : std::string(login_file);
    auto numeric = [](const std::string& s) {
        return !s.empty() && s.size() <= 10 && s.find_first_not_of("0123456789") == std::string::npos;
    };
    if (!numeric(r.uid) || !numeric(r.gid))
        return fail(ErrorKind::remote, fmt::format("user \"{}\" has no numeric uid/gid on this node", user));
    if (r.home.empty() || r.home.front() != '/')
        return fail(ErrorKind::remote, fmt::format("user \"{}\" has no usable home directory on this node", user));
    r.content = std::string(sections->value("content"));
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
    const std::string nonce = new_section_nonce();
    const SectionLimits limits{.max_bytes = kMaxAuthorizedKeysBytes + 4096};
    auto ran = run_bounded(connection, with_remote_deadline(read_authorized_keys_script(user, nonce), timeout), timeout,
                           limits);
    if (!ran && ran.error().kind == ErrorKind::remote)
        return fail(ErrorKind::remote, fmt::format("reading authorized_keys of \"{}\": {}", user, ran.error().message));
    if (!ran) return std::unexpected(ran.error());
    return parse_read_answer(user, *ran, nonce);
}

Result<ReplaceOutcome> replace_authorized_keys(Connection& connection, const RemoteAuthorizedKeys& current,
                                               const std::string& new_content, std::chrono::milliseconds timeout) {
    MemorySource source(new_content);
    auto written = write_file_atomic(connection, current.path(), source, expected_for(current),
                                     replace_options(current, new_content.size(), timeout));
    if (!written && written.error().kind == ErrorKind::remote)
        return fail(ErrorKind::remote, fmt::format("replacing {} failed, the old file is unchanged: {}", current.path(),
                                                   written.error().message));
    if (!written) return std::unexpected(written.error());
    return *written == WriteOutcome::written ? ReplaceOutcome::replaced : ReplaceOutcome::conflict;
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
