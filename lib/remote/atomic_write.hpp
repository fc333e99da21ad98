// The one way a file on a node is written: the bytes stream on stdin into a
// temp file created O_EXCL beside the target, the byte count is checked (a
// cut connection), the temp file is fsynced, and then, under flock on the
// directory, the current file is compared with what the caller expects
// (compare-and-swap), its owner and mode are kept, the temp file is renamed
// over it and the directory is fsynced. Any failure removes the temp file and
// leaves the old file as it was. Symbolic links and non-regular targets are
// refused. The work runs as the account that owns the file when one is given.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/byte_source.hpp"
#include "core/error.hpp"
#include "remote/as_account.hpp"
#include "ssh/transport.hpp"

namespace cc {

// What the target must be just before the swap.
struct ExpectedHash {
    enum class Kind { any, absent, sha256 };
    Kind kind = Kind::any;
    std::string sha256;  // lowercase hex, for Kind::sha256

    static ExpectedHash any() { return {}; }                 // don't care: replace or create
    static ExpectedHash absent() { return {Kind::absent, ""}; }  // must not exist
    static ExpectedHash of(std::string hex) { return {Kind::sha256, std::move(hex)}; }
};

struct AtomicWriteOptions {
    std::uint64_t size = 0;                 // the bytes `source` gives; fewer arriving is a failure
    std::optional<RemoteAccount> as;        // the file's owner; none: the login account
    unsigned mode = 0600;                   // of a new file (and of a replaced one with force_mode)
    bool force_mode = false;                // false: a replaced file keeps its mode
    std::optional<unsigned> create_dir_mode;  // make a missing directory (one level) with this mode
    bool refuse_linked_dir = false;         // the directory itself must not be a symbolic link
    std::uint64_t max_hashed_bytes = 0;     // read at most this much of the current file to hash it (0: all)
    std::chrono::milliseconds timeout{30'000};
};

// Exit status of the script when the file is not what was expected.
inline constexpr int kExitWriteConflict = 75;

enum class WriteOutcome { written, conflict };

// `conflict` when the target is not what `expected_hash` says (nothing written).
Result<WriteOutcome> write_file_atomic(Connection& connection, const std::string& path, ByteSource& source,
                                       const ExpectedHash& expected_hash, const AtomicWriteOptions& options);

// A local file for write_files_atomic; its bytes go by SFTP, as the login account.
struct LocalFileWrite {
    std::string local;            // path on this machine
    std::string path;             // on the node
    AtomicWriteOptions options;   // mode of a new file (a replaced one keeps its owner and mode)
};

// Lands several files together (cp of a tree): every file's bytes arrive first
// (SFTP into exclusive temp files beside the targets), then one command
// finishes each as write_file_atomic does. A transfer cut or refused part-way
// lands none of them and removes every temp file. Returns the bytes sent.
Result<std::uint64_t> write_files_atomic(Connection& connection, const std::vector<LocalFileWrite>& files,
                                         std::chrono::milliseconds timeout);

// The script before the remote deadline wrapper (exposed for unit tests that
// run it under /bin/sh). Every value is quoted by shell_join. `sftp_temp`: the
// temp file the bytes were put in ("": the script makes one and reads stdin).
std::string write_file_atomic_script(const std::string& path, const ExpectedHash& expected_hash,
                                     const AtomicWriteOptions& options, const std::string& sftp_temp = "");

}  // namespace cc
