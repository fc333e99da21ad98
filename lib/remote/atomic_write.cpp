#include "remote/atomic_write.hpp"

#include <random>

#include <fmt/format.h>

#include "core/shell_quote.hpp"
#include "remote/command.hpp"

namespace cc {

namespace {

// Run as the file's owner: $1 path, $2 expected ("any", "absent" or a
// sha256), $3 byte count, $4 mode of a new file, $5 1 = force that mode,
// $6 mode to create the directory with ("" = don't), $7 1 = refuse a linked
// directory, $8 hash at most this many bytes (0 = all), $9 the temp file the
// bytes were put in by SFTP ("" = create one and read the bytes from stdin). The temp file is
// written and checked before the lock is taken: the check-and-rename under
// the lock is the only critical section.
constexpr std::string_view kWriteScript = R"SH(f=$1; want=$2; size=$3; newmode=$4; force=$5; dirmode=$6; nolinkdir=$7; maxhash=$8
case "$f" in */*) d=${f%/*}; d=${d:-/};; *) d=.;; esac
name=${f##*/}
tmp=
if [ -n "$9" ]; then tmp=$9; trap 'rm -f -- "$tmp"' EXIT; fi
for tool in flock mktemp sha256sum stat dd; do
  command -v "$tool" >/dev/null 2>&1 || { echo "$tool not found on this node" >&2; exit 69; }
done
if [ "$nolinkdir" = 1 ] && [ -L "$d" ]; then echo "$d is a symbolic link: clusterctl does not edit through links" >&2; exit 65; fi
if [ ! -e "$d" ] && [ -n "$dirmode" ]; then mkdir -m "$dirmode" -- "$d" || exit 1; fi
if [ ! -e "$d" ]; then echo "no such directory on the node: $d" >&2; exit 66; fi
if [ ! -d "$d" ]; then echo "$d is not a directory: refused" >&2; exit 65; fi
if [ -L "$f" ]; then echo "$f is a symbolic link: clusterctl does not write through links" >&2; exit 65; fi
if [ -d "$f" ]; then echo "$f is a directory" >&2; exit 65; fi
trap 'exit 1' HUP INT TERM PIPE
if [ -z "$tmp" ]; then
  tmp=$(mktemp "$d/.$name.clusterctl-XXXXXX") || { echo "cannot create a temporary file in $d" >&2; exit 1; }
  trap 'rm -f -- "$tmp"' EXIT
  cat > "$tmp" || { echo "cannot write $f" >&2; exit 1; }
elif [ -L "$tmp" ] || [ ! -f "$tmp" ]; then
  echo "the temporary file for $f is not a regular file" >&2; exit 1
fi
got=$(stat -c %s -- "$tmp") || exit 1
[ "$got" -eq "$size" ] || { echo "received $got of $size bytes for $f (connection cut?)" >&2; exit 1; }
sync -- "$tmp" 2>/dev/null || sync
exec 9< "$d" || exit 1
flock -w 10 9 || { echo "cannot lock $d within 10 s" >&2; exit 1; }
if [ -L "$f" ] || { [ "$nolinkdir" = 1 ] && [ -L "$d" ]; }; then
  echo "$f: a symbolic link appeared: clusterctl does not write through links" >&2; exit 65
fi
owner=
if [ -e "$f" ]; then
  [ -f "$f" ] || { echo "$f is not a regular file (a FIFO, device or directory): refused" >&2; exit 65; }
  have=present
  if [ "$want" != any ]; then
    if [ "$maxhash" -gt 0 ]; then limit="count=$((maxhash + 1))"; else limit=; fi
    have=$(dd if="$f" iflag=nofollow,nonblock,fullblock,count_bytes bs=65536 $limit status=none | sha256sum | cut -c1-64) || exit 1
  fi
  set -- $(stat -c '%a %u %g' -- "$f") || exit 1
  owner=$2:$3
  [ "$force" = 1 ] || newmode=$1
else
  have=absent
fi
[ "$want" = any ] || [ "$have" = "$want" ] || exit 75
if [ -n "$owner" ] && [ "$(stat -c %u:%g -- "$tmp")" != "$owner" ]; then
  chown -- "$owner" "$tmp" || { echo "cannot give $f its owner $owner back" >&2; exit 1; }
fi
chmod "$newmode" -- "$tmp" || exit 1
mv -fT -- "$tmp" "$f" || exit 1
trap - EXIT
sync -- "$d" 2>/dev/null || true
)SH";

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }


// Runs kWriteScript ($1) once per 9 arguments that follow, stopping at the first failure.
constexpr std::string_view kEachWriteScript = R"SH(script=$1; shift
while [ $# -ge 9 ]; do
  sh -c "$script" sh "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" || exit $?
  shift 9
done
)SH";

// kWriteScript's $1..$9 for one file.
std::vector<std::string> write_args(const std::string& path, const ExpectedHash& expected_hash,
                                    const AtomicWriteOptions& options, const std::string& sftp_temp) {
    std::string want = expected_hash.kind == ExpectedHash::Kind::any      ? "any"
                       : expected_hash.kind == ExpectedHash::Kind::absent ? "absent"
                                                                          : expected_hash.sha256;
    return {path,
            want,
            std::to_string(options.size),
            fmt::format("{:o}", options.mode),
            options.force_mode ? "1" : "0",
            options.create_dir_mode ? fmt::format("{:o}", *options.create_dir_mode) : "",
            options.refuse_linked_dir ? "1" : "0",
            std::to_string(options.max_hashed_bytes),
            sftp_temp};
}

}  // namespace

std::string write_file_atomic_script(const std::string& path, const ExpectedHash& expected_hash,
                                     const AtomicWriteOptions& options, const std::string& sftp_temp) {
    std::vector<std::string> argv = {"sh", "-c", std::string(kWriteScript), "sh"};
    for (auto& arg : write_args(path, expected_hash, options, sftp_temp)) argv.push_back(std::move(arg));
    if (!options.as) return shell_join(argv);
    return as_account_prelude(*options.as) + "as_user " + shell_join(argv) + "\n";
}

namespace {

// Beside the target, named like mktemp's (so one cleanup pattern finds both),
// created exclusively by the SFTP open.
std::string sftp_temp_name(const std::string& path) {
    static thread_local std::mt19937_64 random{std::random_device{}()};
    auto slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
    std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    return fmt::format("{}.{}.clusterctl-{:016x}", dir, name, random());
}

// A failure while writing the temp file is told with the name the caller gave.
Error naming_destination(Error error, const std::string& temp, const std::string& destination) {
    for (auto at = error.message.find(temp); at != std::string::npos;
         at = error.message.find(temp, at + destination.size()))
        error.message.replace(at, temp.size(), destination);
    return error;
}

}  // namespace

Result<WriteOutcome> write_file_atomic(Connection& connection, const std::string& path, ByteSource& source,
                                       const ExpectedHash& expected_hash, const AtomicWriteOptions& options) {
    if (expected_hash.kind == ExpectedHash::Kind::sha256 &&
        (expected_hash.sha256.size() != 64 || expected_hash.sha256.find_first_not_of("0123456789abcdef") != std::string::npos))
        return fail(ErrorKind::invalid_input, fmt::format("\"{}\" is not a sha256 in hex", expected_hash.sha256));
    std::string command = with_remote_deadline(write_file_atomic_script(path, expected_hash, options), options.timeout);
    auto ran = connection.exec(command, source, options.timeout, nullptr);
    if (!ran) return std::unexpected(ran.error());
    if (ran->exit_signal.empty() && ran->exit_status == 0) return WriteOutcome::written;
    if (ran->exit_signal.empty() && ran->exit_status == kExitWriteConflict) return WriteOutcome::conflict;
    std::string why = first_line(ran->err);
    if (why.empty())
        why = fmt::format("{}: {}", path, ran->exit_signal.empty() ? fmt::format("exit status {}", ran->exit_status)
                                                                   : "killed by SIG" + ran->exit_signal);
    return fail(ErrorKind::remote, why);
}

Result<std::uint64_t> write_files_atomic(Connection& connection, const std::vector<LocalFileWrite>& files,
                                         std::chrono::milliseconds timeout) {
    if (files.empty()) return 0;
    std::vector<std::string> temps;
    auto remove_temps = [&] {
        if (temps.empty()) return;
        std::vector<std::string> rm = {"rm", "-f", "--"};
        rm.insert(rm.end(), temps.begin(), temps.end());
        (void)connection.exec(remote_command(rm, timeout), timeout);
    };
    // Every byte first: a transfer cut here lands nothing.
    std::vector<std::string> argv = {"sh", "-c", std::string(kEachWriteScript), "sh", std::string(kWriteScript)};
    std::uint64_t bytes = 0;
    for (const auto& file : files) {
        std::string temp = sftp_temp_name(file.path);
        temps.push_back(temp);
        auto sent = connection.put_file(file.local, temp, 0600, timeout);
        if (!sent) {
            remove_temps();
            return std::unexpected(naming_destination(sent.error(), temp, file.path));
        }
        bytes += *sent;
        AtomicWriteOptions options = file.options;
        options.size = *sent;
        for (auto& arg : write_args(file.path, ExpectedHash::any(), options, temp)) argv.push_back(std::move(arg));
    }
    // Then every file lands, each as write_file_atomic would.
    auto ran = connection.exec(with_remote_deadline(shell_join(argv), timeout), timeout);
    if (!ran || !ran->exit_signal.empty() || ran->exit_status != 0) remove_temps();  // those not reached
    if (!ran) return std::unexpected(ran.error());
    if (ran->exit_signal.empty() && ran->exit_status == 0) return bytes;
    std::string why = first_line(ran->err);
    if (why.empty())
        why = ran->exit_signal.empty() ? fmt::format("landing the files failed: exit status {}", ran->exit_status)
                                       : "landing the files failed: killed by SIG" + ran->exit_signal;
    return fail(ErrorKind::remote, why);
}

}  // namespace cc
