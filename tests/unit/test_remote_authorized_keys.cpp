// The remote side of authorized_keys edits: answers parsed, plans applied,
// and the compare-and-swap loop against a simulated node file that another
// writer changes in between.
#include <doctest/doctest.h>

#include <pwd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/sha256.hpp"
#include "core/shell_quote.hpp"
#include "fake_transport.hpp"
#include "keys/remote_authorized_keys.hpp"
#include "sectioned_output.hpp"
#include "temp_dir.hpp"

using namespace cc;

namespace {

constexpr const char* kKeyA = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFkTxjOBkj0aSsU9F+hfLKsQAMtmuRcXg0p5P2q8mWtB a";
constexpr const char* kKeyB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHcbIKdnQ0YlDzg7ty2JDb8UBt9s8UDUPFuvL4hdJv6O b";

// The header sections of a read answer, from "key\tvalue" lines.
std::vector<std::pair<std::string, std::string>> header(std::string_view lines) {
    std::vector<std::pair<std::string, std::string>> out;
    while (!lines.empty()) {
        auto nl = lines.find('\n');
        std::string_view line = lines.substr(0, nl);
        lines.remove_prefix(nl == std::string_view::npos ? lines.size() : nl + 1);
        auto tab = line.find('\t');
        out.emplace_back(std::string(line.substr(0, tab)), std::string(line.substr(tab + 1)));
    }
    return out;
}

// parse_read_answer on a successful read: header lines, then the file's bytes.
Result<RemoteAuthorizedKeys> parse_read(const std::string& user, std::string_view header_lines,
                                        std::optional<std::string> content = std::string()) {
    auto sections = header(header_lines);
    if (content) sections.emplace_back("content", *content);
    ExecResult r;
    r.exit_status = 0;
    r.out = framed(kTestNonce, sections);
    return parse_read_answer(user, r, kTestNonce);
}

ExecResult answer(int status, std::string out, std::string err = "") {
    ExecResult r;
    r.exit_status = status;
    r.out = std::move(out);
    r.err = std::move(err);
    return r;
}

// One node's authorized_keys, served to the two scripts the way the node
// would, through the scripted fake. Converts to the Connection the edit runs on.
struct SimulatedFile {
    std::optional<std::string> content;
    int interfering_writes = 0;  // before each of the next N swaps, "another writer" changes the file
    std::string intruder_line = kKeyB;
    int reads = 0, swaps = 0;
    FakeTransport transport;
    std::unique_ptr<Connection> connection;

    SimulatedFile() {
        transport.hosts["node"]
            .always(computed([this](const FakeCall& call) {
                ++reads;
                std::smatch m;
                REQUIRE(std::regex_search(call.command, m, std::regex("@@%s %s[^0-9a-f]*([0-9a-f]{32})")));
                return answer(0, framed(m[1].str(), {{"home", "/home/u"}, {"uid", "1000"}, {"gid", "1000"},
                                                     {"exists", content ? "1" : "0"}, {"content", content.value_or("")}}));
            }))
            .on("mktemp", {computed([this](const FakeCall& call) { return swap(call); })});
        connection = transport.open("node");
    }
    SimulatedFile(const SimulatedFile&) = delete;
    operator Connection&() { return *connection; }

    ExecResult swap(const FakeCall& call) {
        ++swaps;
        if (interfering_writes > 0) {
            --interfering_writes;
            content = content.value_or("") + intruder_line + "\n";
        }
        // the expected hash is an argument of the write script; no hash is "absent"
        std::smatch m;
        std::string want = std::regex_search(call.command, m, std::regex("[0-9a-f]{64}")) ? m[0].str() : "absent";
        std::string have = content ? sha256_hex(*content) : "absent";
        if (have != want) return answer(75, "");
        content = call.input;
        return answer(0, "");
    }
};

// Appends `line` to whatever the block holds now: what key push does.
KeysPlanner append(std::string line) {
    return [line](const RemoteAuthorizedKeys& current) -> Result<KeysEdit> {
        KeysEdit edit;
        for (const auto& l : current.parsed.managed) edit.managed_lines.push_back(l.raw);
        if (!line.empty()) edit.managed_lines.push_back(line);
        return edit;
    };
}

// Keeps the block as it is.
KeysPlanner keep_block() { return append(""); }

}  // namespace

TEST_CASE("remote user names are checked before any command is built") {
    for (const char* good : {"root", "cctest", "svc_gpu-01", "a.b", "Admin"}) CHECK(validate_remote_user(good));
    for (const char* bad : {"", "-rf", ".hidden", "bob;rm -rf /", "a b", "x$(id)", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}) {
        auto r = validate_remote_user(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error().message.find("invalid remote user") != std::string::npos);
    }
}

TEST_CASE("an all-digit remote user is refused: getent would read it as a uid (\"0\" is root)") {
    for (const char* uid : {"0", "2950", "00"}) {
        auto r = validate_remote_user(uid);
        REQUIRE_FALSE(r);
        CHECK(r.error().message.find("not a uid") != std::string::npos);
    }
    CHECK(validate_remote_user("0day"));
}

TEST_CASE("the login account is told by uid or by the file's identity, not by name") {
    auto r = parse_read("toor", "home\t/root\nuid\t0\ngid\t0\nlogin_uid\t0\nlogin_file\t-\n"
                                                    "exists\t0\n");
    REQUIRE(r);
    CHECK(r->is_login_account());  // another name for uid 0
    auto other = parse_read("u", "home\t/home/u\nuid\t1000\ngid\t1000\nlogin_uid\t0\n"
                                                  "login_file\t2049:77\nfile\t2049:78\nexists\t1\n");
    REQUIRE(other);
    CHECK_FALSE(other->is_login_account());
    auto same_file = parse_read("u", "home\t/home/u\nuid\t1000\ngid\t1000\nlogin_uid\t0\n"
                                                      "login_file\t2049:77\nfile\t2049:77\nexists\t1\n");
    REQUIRE(same_file);
    CHECK(same_file->is_login_account());
    // no login_file on the node side: "-" never matches an absent file
    auto absent = parse_read("u", "home\t/home/u\nuid\t1000\ngid\t1000\nlogin_uid\t0\n"
                                                   "login_file\t-\nexists\t0\n");
    REQUIRE(absent);
    CHECK_FALSE(absent->is_login_account());
    CHECK_FALSE(parse_read("u", "home\t/home/u\nuid\tx1\ngid\t1\nexists\t0\n"));
}

TEST_CASE("key options: quoted commas pass; open quotes, blanks, stray commas and newlines are named") {
    CHECK(validate_key_options(""));
    CHECK(validate_key_options("no-pty"));
    CHECK(validate_key_options(R"(from="10.0.0.0/8,192.168.0.0/16",command="echo \"a b\",c",no-pty)"));
    auto message = [](std::string_view o) { return validate_key_options(o).error().message; };
    CHECK(message(R"(from="10.0.0.0/8)").find("not closed") != std::string::npos);
    CHECK(message("no-pty no-x11-forwarding").find("blank outside") != std::string::npos);
    CHECK(message("no-pty,,no-x11-forwarding").find("empty option") != std::string::npos);
    CHECK(message(",no-pty").find("empty option") != std::string::npos);
    CHECK(message("no-pty\nssh-ed25519 AAAA").find("one line") != std::string::npos);
}

TEST_CASE("key options that start with '#' or a key type are refused: sshd would not read them as options") {
    auto message = [](std::string_view o) {
        auto r = validate_key_options(o);
        return r ? std::string() : r.error().message;
    };
    CHECK(message("#no-pty").find("starts with '#'") != std::string::npos);
    for (const char* typed : {"ssh-ed25519", "ssh-rsa,no-pty", "ecdsa-sha2-nistp256", "sk-ssh-ed25519@openssh.com",
                              "ssh-ed25519-cert-v01@openssh.com", "sk-anything=\"x\""})
        CHECK_MESSAGE(message(typed).find("starts with a key type") != std::string::npos, typed);
    CHECK(validate_key_options("no-pty,command=\"ssh-ed25519 x\""));
}

TEST_CASE("the scripts quote the user and carry the hash and size they check") {
    CHECK(read_authorized_keys_script("a'b", kTestNonce).starts_with("u='a'\\''b'\n"));
    RemoteAuthorizedKeys current;
    current.home = "/home/o'neil";
    current.uid = "1000";
    current.gid = "1000";
    current.exists = true;
    current.content = "abc";
    current.user = "o'neil";
    std::string script = replace_authorized_keys_script(current, 42);
    CHECK(script.starts_with("u='o'\\''neil'; uid=1000; gid=1000\n"));
    CHECK(script.find(" sh '/home/o'\\''neil/.ssh/authorized_keys' "
                      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad 42 600 0 700 1 1048576 ''\n") !=
          std::string::npos);
    current.exists = false;
    CHECK(replace_authorized_keys_script(current, 0).find("authorized_keys' absent 0 ") != std::string::npos);
}

TEST_CASE("the read answer: header, content verbatim, and the failures") {
    auto r = parse_read("u", "home\t/home/u\nuid\t1000\ngid\t100\nexists\t1\n", std::string(kKeyA) + "\n# note");
    REQUIRE(r);
    CHECK(r->home == "/home/u");
    CHECK(r->path() == "/home/u/.ssh/authorized_keys");
    CHECK(r->uid == "1000");
    CHECK(r->gid == "100");
    CHECK(r->exists);
    CHECK(r->content == std::string(kKeyA) + "\n# note");
    CHECK(r->parsed.before.size() == 2);

    auto absent = parse_read("u", "home\t/home/u\nuid\t1\ngid\t1\nexists\t0\n");
    REQUIRE(absent);
    CHECK_FALSE(absent->exists);
    CHECK(absent->content.empty());

    auto no_user = parse_read_answer("bob", answer(67, "", "no user \"bob\" on this node\n"), kTestNonce);
    REQUIRE_FALSE(no_user);
    CHECK(no_user.error().message == "no user \"bob\" on this node");

    auto broken = parse_read("u", "home\t/home/u\nuid\t1\ngid\t1\nexists\t1\n",
                             "# BEGIN clusterctl managed keys\nssh-ed25519 AAAA\n");
    REQUIRE_FALSE(broken);
    CHECK(broken.error().message.find("nothing was changed") != std::string::npos);

    CHECK_FALSE(parse_read_answer("u", answer(0, "garbage"), kTestNonce));
    CHECK_FALSE(parse_read("u", "home\t/home/u\nuid\t1\ngid\t1\nexists\t0\n", std::nullopt));  // no content section
    CHECK_FALSE(parse_read("u", "home\trelative\nuid\t1\ngid\t1\nexists\t0\n"));
    auto link = parse_read_answer("u", answer(65, "", "/home/u/.ssh/authorized_keys is a symbolic link\n"), kTestNonce);
    REQUIRE_FALSE(link);
    CHECK(link.error().message.find("symbolic link") != std::string::npos);
}

TEST_CASE("dropping keys outside the block keeps comments, order and a missing final newline") {
    std::string text = "# admins\n" + std::string(kKeyA) + "\n# END of admins\n" + kKeyB;  // no final newline
    auto file = parse_authorized_keys(text);
    REQUIRE(file);
    auto fp_b = line_fingerprint(file->before.back());
    auto fp_a = line_fingerprint(file->before[1]);
    REQUIRE_FALSE(fp_a.empty());

    // the last line (without its newline) goes: the rest keep theirs
    CHECK(apply_keys_edit(*file, {{}, {fp_b}}) == "# admins\n" + std::string(kKeyA) + "\n# END of admins\n");
    // a middle line goes: the end stays without a newline
    CHECK(apply_keys_edit(*file, {{}, {fp_a}}) == "# admins\n# END of admins\n" + std::string(kKeyB));
    // nothing dropped, nothing managed: byte for byte
    CHECK(apply_keys_edit(*file, {}) == text);
}

TEST_CASE("compare-and-swap: another writer in between is merged, not overwritten") {
    SimulatedFile node;
    node.content = "# hand-written\n";
    node.interfering_writes = 1;
    auto edited = edit_authorized_keys(node, "u", append(kKeyA), std::chrono::seconds(5));
    REQUIRE(edited);
    CHECK(edited->changed);
    CHECK(edited->attempts == 2);
    CHECK(node.reads == 2);
    // the intruder's line (outside the block) and ours are both there
    CHECK(node.content->find(kKeyB) != std::string::npos);
    CHECK(node.content->find(kKeyA) != std::string::npos);
    CHECK(node.content->starts_with("# hand-written\n"));
}

TEST_CASE("compare-and-swap: a file that keeps changing is given up on, never overwritten") {
    SimulatedFile node;
    node.content = "";
    node.interfering_writes = 100;
    auto edited = edit_authorized_keys(node, "u", append(kKeyA), std::chrono::seconds(5), 3);
    REQUIRE_FALSE(edited);
    CHECK(edited.error().message.find("kept changing under us (3 attempts); nothing was written") != std::string::npos);
    CHECK(node.swaps == 3);
    CHECK(node.reads == 3);
    CHECK(node.content->find(kKeyA) == std::string::npos);
}

TEST_CASE("compare-and-swap: a rotation that collides with another writer swaps OLD for NEW and keeps their line") {
    SimulatedFile node;
    node.content = "# BEGIN clusterctl managed keys\n" + std::string(kKeyA) + "\n# END clusterctl managed keys\n";
    node.interfering_writes = 1;
    node.intruder_line = "# added by hand meanwhile";
    // What key rotate plans: NEW in place of OLD, the rest of the block kept.
    KeysPlanner rotate = [](const RemoteAuthorizedKeys& current) -> Result<KeysEdit> {
        KeysEdit edit;
        for (const auto& l : current.parsed.managed) edit.managed_lines.push_back(l.raw == kKeyA ? kKeyB : l.raw);
        return edit;
    };
    auto edited = edit_authorized_keys(node, "u", rotate, std::chrono::seconds(5));
    REQUIRE(edited);
    CHECK(edited->changed);
    CHECK(edited->attempts == 2);
    CHECK(node.swaps == 2);
    CHECK(node.content->find(kKeyA) == std::string::npos);
    CHECK(node.content->find(kKeyB) != std::string::npos);
    CHECK(node.content->find("# added by hand meanwhile\n") != std::string::npos);
}

TEST_CASE("an edit that changes nothing writes nothing; an absent file is not created empty") {
    SimulatedFile node;
    node.content = "# BEGIN clusterctl managed keys (x)\n" + std::string(kKeyA) + "\n# END clusterctl managed keys\n";
    auto same = edit_authorized_keys(
        node, "u", keep_block(), std::chrono::seconds(5));
    REQUIRE(same);
    // the marker wording differs from ours, so the block is rewritten once...
    CHECK(same->changed);
    auto again = edit_authorized_keys(
        node, "u", keep_block(), std::chrono::seconds(5));
    REQUIRE(again);
    CHECK_FALSE(again->changed);  // ...and then left alone
    CHECK(node.swaps == 1);

    SimulatedFile empty;
    auto nothing = edit_authorized_keys(empty, "u", [](const RemoteAuthorizedKeys&) { return Result<KeysEdit>(KeysEdit{}); },
                                        std::chrono::seconds(5));
    REQUIRE(nothing);
    CHECK_FALSE(nothing->changed);
    CHECK_FALSE(empty.content);
}

namespace {

// The real replace script, run by /bin/sh as the current user on a home in `dir`.
int run_replace_script(const TempDir& dir, const RemoteAuthorizedKeys& current, const std::string& new_content) {
    std::string script = dir.write("replace.sh", replace_authorized_keys_script(current, new_content.size()));
    std::string input = dir.write("input", new_content);
    int status = std::system(("/bin/sh " + shell_quote(script) + " < " + shell_quote(input)).c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

RemoteAuthorizedKeys as_read(const TempDir& dir, const std::string& content) {
    RemoteAuthorizedKeys current;
    current.user = ::getpwuid(::getuid())->pw_name;
    current.uid = std::to_string(::getuid());
    current.gid = std::to_string(::getgid());
    current.home = dir.path.string();
    current.exists = true;
    current.content = content;
    return current;
}

}  // namespace

TEST_CASE("the real replace script under /bin/sh: a file changed since it was read is left alone (exit 75)") {
    TempDir home;
    std::filesystem::create_directory(home.path / ".ssh");
    const std::string read = std::string(kKeyA) + "\n";
    const std::string file = home.write(".ssh/authorized_keys", read);
    // another writer between our read and our swap
    const std::string theirs = read + kKeyB + "\n";
    home.write(".ssh/authorized_keys", theirs);
    CHECK(run_replace_script(home, as_read(home, read), "# ours\n") == 75);
    CHECK(slurp(file) == theirs);
    int left = 0;
    for (const auto& entry : std::filesystem::directory_iterator(home.path / ".ssh"))
        left += entry.path().filename().string().starts_with(".authorized_keys.clusterctl-");
    CHECK(left == 0);  // no temp file left behind
}

TEST_CASE("the real replace script under /bin/sh: an unchanged file is replaced with the new bytes, mode kept") {
    TempDir home;
    std::filesystem::create_directory(home.path / ".ssh");
    const std::string read = std::string(kKeyA) + "\n";
    const std::string file = home.write(".ssh/authorized_keys", read);
    ::chmod(file.c_str(), 0640);
    const std::string wanted = std::string("# BEGIN clusterctl managed keys\n") + kKeyB + "\n# END clusterctl managed keys\n";
    CHECK(run_replace_script(home, as_read(home, read), wanted) == 0);
    CHECK(slurp(file) == wanted);
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0640);

    // an absent file is created 600 in a new ~/.ssh 700
    TempDir fresh;
    RemoteAuthorizedKeys absent = as_read(fresh, "");
    absent.exists = false;
    CHECK(run_replace_script(fresh, absent, wanted) == 0);
    CHECK(slurp(fresh.file(".ssh/authorized_keys")) == wanted);
    REQUIRE(::stat(fresh.file(".ssh").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0700);
    REQUIRE(::stat(fresh.file(".ssh/authorized_keys").c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
}
