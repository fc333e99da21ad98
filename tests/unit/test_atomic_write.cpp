// write_file_atomic (lib/remote/atomic_write): the exact command it sends,
// run by /bin/sh on this machine the way a node's sshd runs it, with the
// source's bytes on stdin.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/file_source.hpp"
#include "core/shell_quote.hpp"
#include "remote/atomic_write.hpp"
#include "temp_dir.hpp"

using namespace cc;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// A "node" that is this machine's /bin/sh.
struct LocalShell final : Connection {
    TempDir scratch;
    HostKey key;
    std::string login;
    const HostKey& host_key() const override { return key; }
    const std::string& login_key_fingerprint() const override { return login; }
    Result<ExecResult> exec(const std::string& command, std::string_view input, std::chrono::milliseconds,
                            const OutputSink&) override {
        std::string in = scratch.write("stdin", std::string(input));
        std::string err = scratch.file("stderr");
        std::string line = "/bin/sh -c " + shell_quote(command) + " < " + shell_quote(in) + " 2> " + shell_quote(err);
        ExecResult r;
        FILE* pipe = ::popen(line.c_str(), "r");
        REQUIRE(pipe);
        char buf[4096];
        for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) r.out.append(buf, n);
        int status = ::pclose(pipe);
        r.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        std::ifstream e(err);
        std::stringstream text;
        text << e.rdbuf();
        r.err = text.str();
        return r;
    }
    // SFTP put: creates the remote file exclusively, as the real one does.
    Result<std::uint64_t> put_file(const std::string& local, const std::string& remote, unsigned mode,
                                   std::chrono::milliseconds) override {
        ++puts;
        std::error_code ec;
        if (!fs::is_directory(fs::path(remote).parent_path()))
            return fail(ErrorKind::remote, "no such directory on the node: " + fs::path(remote).parent_path().string());
        if (fs::exists(fs::symlink_status(remote)) || !fs::copy_file(local, remote, ec) || ec)
            return fail(ErrorKind::remote, "cannot create " + remote);
        fs::permissions(remote, static_cast<fs::perms>(mode));
        return fs::file_size(remote);
    }
    int puts = 0;
    Result<std::uint64_t> get_file(const std::string&, int, std::chrono::milliseconds) override {
        return fail(ErrorKind::remote, "unused");
    }
    Result<void> make_dir(const std::string&, unsigned, std::chrono::milliseconds) override {
        return fail(ErrorKind::remote, "unused");
    }
};

unsigned mode_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

int temp_files_in(const fs::path& dir) {
    int n = 0;
    for (const auto& entry : fs::directory_iterator(dir)) n += entry.path().filename().string().find(".clusterctl-") != std::string::npos;
    return n;
}

Result<WriteOutcome> write(LocalShell& node, const std::string& path, const std::string& bytes,
                           ExpectedHash expected = ExpectedHash::any(), AtomicWriteOptions options = {}) {
    MemorySource source(bytes);
    if (options.size == 0) options.size = bytes.size();
    return write_file_atomic(node, path, source, expected, options);
}

}  // namespace

TEST_SUITE_BEGIN("write_file_atomic");

TEST_CASE("a new file lands with its bytes and the mode asked for, and no temp file is left") {
    LocalShell node;
    TempDir dir;
    std::string bytes = "line 1\nno final newline \x01\xff";
    AtomicWriteOptions options;
    options.mode = 0751;
    auto written = write(node, dir.file("new.bin"), bytes, ExpectedHash::absent(), options);
    REQUIRE(written);
    CHECK(*written == WriteOutcome::written);
    CHECK(slurp(dir.file("new.bin")) == bytes);
    CHECK(mode_of(dir.file("new.bin")) == 0751);
    CHECK(temp_files_in(dir.path) == 0);
}

TEST_CASE("a replaced file keeps its mode (and its owner, when run as root) unless the mode is forced") {
    LocalShell node;
    TempDir dir;
    std::string path = dir.write("conf", "old\n");
    ::chmod(path.c_str(), 0640);
    const bool root = ::geteuid() == 0;
    if (root) REQUIRE(::chown(path.c_str(), 4321, 4322) == 0);
    AtomicWriteOptions options;
    options.mode = 0600;
    REQUIRE(*write(node, path, "new\n", ExpectedHash::any(), options) == WriteOutcome::written);
    CHECK(slurp(path) == "new\n");
    CHECK(mode_of(path) == 0640);
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    if (root) CHECK((st.st_uid == 4321 && st.st_gid == 4322));
    options.force_mode = true;
    REQUIRE(*write(node, path, "newer\n", ExpectedHash::any(), options) == WriteOutcome::written);
    CHECK(mode_of(path) == 0600);
}

TEST_CASE("compare-and-swap: a file that is not what was expected is left alone, and so is an absent one") {
    LocalShell node;
    TempDir dir;
    std::string path = dir.write("keys", "theirs\n");
    // some other file's sha256
    auto stale = ExpectedHash::of("a69c3a7e41de5b0c8c2b6b44f4f7a4d4efb1d9c6d2c2aa2f87ab5e3c4a2b3c1d");
    CHECK(*write(node, path, "x", stale) == WriteOutcome::conflict);
    CHECK(*write(node, path, "x", ExpectedHash::absent()) == WriteOutcome::conflict);
    CHECK(slurp(path) == "theirs\n");
    CHECK(*write(node, dir.file("missing"), "x", stale) == WriteOutcome::conflict);
    CHECK_FALSE(fs::exists(dir.file("missing")));
    // the file's sha256, as sha256sum prints it
    FILE* p = ::popen(("sha256sum " + shell_quote(path)).c_str(), "r");
    char hex[65] = {};
    REQUIRE(std::fread(hex, 1, 64, p) == 64);
    ::pclose(p);
    CHECK(*write(node, path, "ours\n", ExpectedHash::of(hex)) == WriteOutcome::written);
    CHECK(slurp(path) == "ours\n");
    CHECK(temp_files_in(dir.path) == 0);
}

TEST_CASE("fewer bytes than announced (a cut connection) fail and leave the old file and no temp file") {
    LocalShell node;
    TempDir dir;
    std::string path = dir.write("conf", "old\n");
    AtomicWriteOptions options;
    options.size = 10;
    auto written = write(node, path, "short", ExpectedHash::any(), options);
    REQUIRE_FALSE(written);
    CHECK(written.error().message.find("received 5 of 10 bytes") != std::string::npos);
    CHECK(slurp(path) == "old\n");
    CHECK(temp_files_in(dir.path) == 0);
}

TEST_CASE("a symbolic link, a directory or a FIFO at the target is refused and kept as it is") {
    LocalShell node;
    TempDir dir;
    std::string real = dir.write("real", "real\n");
    fs::create_symlink(real, dir.path / "link");
    auto linked = write(node, dir.file("link"), "x");
    REQUIRE_FALSE(linked);
    CHECK(linked.error().message.find("symbolic link") != std::string::npos);
    CHECK(fs::is_symlink(dir.path / "link"));
    CHECK(slurp(real) == "real\n");
    fs::create_directory(dir.path / "sub");
    auto directory = write(node, dir.file("sub"), "x");
    REQUIRE_FALSE(directory);
    CHECK(directory.error().message.find("is a directory") != std::string::npos);
    REQUIRE(::mkfifo(dir.file("fifo").c_str(), 0600) == 0);
    auto fifo = write(node, dir.file("fifo"), "x");
    REQUIRE_FALSE(fifo);
    CHECK(fifo.error().message.find("not a regular file") != std::string::npos);
    CHECK(temp_files_in(dir.path) == 0);
}

TEST_CASE("a missing directory is named; a linked directory is refused when asked; one can be created") {
    LocalShell node;
    TempDir dir;
    auto missing = write(node, dir.file("nope/x"), "x");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message == "no such directory on the node: " + dir.file("nope"));
    fs::create_directory(dir.path / "real");
    fs::create_directory_symlink(dir.path / "real", dir.path / "linked");
    AtomicWriteOptions options;
    options.refuse_linked_dir = true;
    auto linked = write(node, dir.file("linked/x"), "x", ExpectedHash::any(), options);
    REQUIRE_FALSE(linked);
    CHECK(linked.error().message.find("symbolic link") != std::string::npos);
    CHECK(fs::is_empty(dir.path / "real"));
    options.create_dir_mode = 0700;
    REQUIRE(write(node, dir.file("made/x"), "x", ExpectedHash::any(), options));
    CHECK(mode_of(dir.file("made")) == 0700);
    CHECK(slurp(dir.file("made/x")) == "x");
}

TEST_CASE("several files land together: every byte first, then each finished by the same script") {
    LocalShell node;
    TempDir dir;
    std::string kept = dir.write("conf", "old\n");
    ::chmod(kept.c_str(), 0640);
    fs::create_directory(dir.path / "sub");
    std::vector<LocalFileWrite> files = {{dir.write("local1", "new by sftp\n"), kept, {}},
                                         {dir.write("local2", "second\n"), dir.file("sub/new"), {}}};
    files[1].options.mode = 0604;
    auto sent = write_files_atomic(node, files, 5s);
    REQUIRE(sent);
    CHECK(*sent == 19);
    CHECK(node.puts == 2);
    CHECK(slurp(kept) == "new by sftp\n");
    CHECK(mode_of(kept) == 0640);  // a replaced file keeps its mode
    CHECK(mode_of(dir.file("sub/new")) == 0604);
    CHECK(temp_files_in(dir.path) + temp_files_in(dir.path / "sub") == 0);

    // The second file cannot be put: the first, whose bytes did arrive, must not land either.
    std::vector<LocalFileWrite> cut = {{dir.write("local3", "third\n"), dir.file("third"), {}},
                                       {dir.write("local4", "fourth\n"), dir.file("nope/fourth"), {}}};
    auto failed = write_files_atomic(node, cut, 5s);
    REQUIRE_FALSE(failed);
    CHECK(failed.error().message == "no such directory on the node: " + dir.file("nope"));
    CHECK_FALSE(fs::exists(dir.file("third")));
    CHECK(temp_files_in(dir.path) == 0);

    // One target turns out to be a directory when landing: the error names it, no temp file stays.
    std::vector<LocalFileWrite> onto_dir = {{dir.write("local5", "x\n"), dir.file("sub"), {}}};
    auto refused = write_files_atomic(node, onto_dir, 5s);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("is a directory") != std::string::npos);
    CHECK(temp_files_in(dir.path) == 0);
}

TEST_CASE("a FileSource gives a local file's bytes and size, chunk by chunk, then EOF") {
    TempDir dir;
    std::string text(100'000, 'a');
    text += "end";
    auto source = FileSource::open(dir.write("f", text));
    REQUIRE(source);
    CHECK(source->size() == text.size());
    std::string got;
    char buf[4096];
    for (;;) {
        auto chunk = source->read(buf, std::chrono::milliseconds(0));
        REQUIRE(chunk);
        got.append(buf, chunk->size);
        if (chunk->eof) break;
    }
    CHECK(got == text);
    CHECK_FALSE(FileSource::open(dir.path.string()));
    CHECK_FALSE(FileSource::open(dir.file("absent")));
}

TEST_SUITE_END();
