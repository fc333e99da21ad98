#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "keys/authorized_keys.hpp"
#include "keys/public_key.hpp"

using namespace cc;

namespace {

const std::string kA = "AAAAC3NzaC1lZDI1NTE5AAAAIEFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB";
const std::string kB = "AAAAC3NzaC1lZDI1NTE5AAAAIEJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJC";
const std::string kKeyA = "ssh-ed25519 " + kA + " alice@laptop";
const std::string kKeyB = "ssh-ed25519 " + kB + " bob@desk";
const std::string kBegin(kManagedBegin);
const std::string kEnd(kManagedEnd);

AuthorizedKeysFile parse_ok(std::string_view text) {
    auto file = parse_authorized_keys(text);
    REQUIRE(file);
    return *file;
}

std::vector<std::string> raws(const std::vector<AuthorizedKeyLine>& lines) {
    std::vector<std::string> out;
    for (const auto& line : lines) out.push_back(line.raw);
    return out;
}

std::string parse_error(std::string_view text) {
    auto file = parse_authorized_keys(text);
    REQUIRE_FALSE(file);
    CHECK(file.error().kind == ErrorKind::invalid_input);
    return file.error().message;
}

}  // namespace

TEST_CASE("a plain key line has a type, key data and a comment with spaces") {
    auto line = parse_authorized_key_line("ssh-ed25519 " + kA + " alice at  laptop");
    CHECK(line.is_key);
    CHECK(line.options.empty());
    CHECK(line.type == "ssh-ed25519");
    CHECK(line.base64 == kA);
    CHECK(line.comment == "alice at  laptop");
}

TEST_CASE("key options with quoted commas and spaces end at the first unquoted space") {
    auto line = parse_authorized_key_line("command=\"echo a,b c\",no-pty ssh-ed25519 " + kA + " ops");
    CHECK(line.is_key);
    CHECK(line.options == "command=\"echo a,b c\",no-pty");
    CHECK(line.type == "ssh-ed25519");
    CHECK(line.comment == "ops");
    auto from = parse_authorized_key_line("from=\"10.0.0.0/8,192.168.1.*\",no-port-forwarding ssh-ed25519 " + kA);
    CHECK(from.options == "from=\"10.0.0.0/8,192.168.1.*\",no-port-forwarding");
    CHECK(from.comment.empty());
}

TEST_CASE("escaped quotes inside key options do not close the quote") {
    std::string options = R"(command="echo \"hi there\" a,b",environment="X=\"y z\"")";
    auto line = parse_authorized_key_line(options + " ssh-ed25519 " + kA + " c");
    CHECK(line.is_key);
    CHECK(line.options == options);
    CHECK(line.base64 == kA);
}

TEST_CASE("a line whose first field is a key type has no options") {
    auto line = parse_authorized_key_line("ssh-rsa-cert-v01@openssh.com " + kA + " cert");
    CHECK(line.is_key);
    CHECK(line.options.empty());
    CHECK(line.type == "ssh-rsa-cert-v01@openssh.com");
}

TEST_CASE("blank, comment and garbage lines are kept verbatim and are not keys") {
    for (const std::string& raw : std::vector<std::string>{"", "   \t", "# a comment ssh-ed25519 " + kA, "  # indented", "garbage here",
                            "command=\"unterminated ssh-ed25519 " + kA, "ssh-ed25519", "ssh-ed25519 not*base64",
                            "no-pty ssh-foo " + kA, "\r"}) {
        CAPTURE(raw);
        auto line = parse_authorized_key_line(raw);
        CHECK_FALSE(line.is_key);
        CHECK(line.raw == raw);
    }
}

TEST_CASE("odd spacing and a carriage return are tolerated in keys and kept in raw") {
    std::string raw = "  \tssh-ed25519 \t " + kA + "   spaced   comment  \r";
    auto line = parse_authorized_key_line(raw);
    CHECK(line.is_key);
    CHECK(line.raw == raw);
    CHECK(line.base64 == kA);
    CHECK(line.comment == "spaced   comment");
}

TEST_CASE("an authorized_keys file with only unmanaged lines gets the block appended and the rest byte-identical") {
    std::string text = "# my keys\n" + kKeyA + "\n\n   odd  spacing line\n";
    auto file = parse_ok(text);
    CHECK_FALSE(file.had_block);
    CHECK(file.before.size() == 4);
    std::string out = render_authorized_keys(file, {kKeyB});
    CHECK(out == text + kBegin + "\n" + kKeyB + "\n" + kEnd + "\n");
    CHECK(render_authorized_keys(file, {}) == text);
}

TEST_CASE("an authorized_keys file without a final newline keeps it missing unless a block is appended after it") {
    std::string text = "# keys\n" + kKeyA;
    auto file = parse_ok(text);
    CHECK_FALSE(file.ended_with_newline);
    CHECK(render_authorized_keys(file, {}) == text);
    CHECK(render_authorized_keys(file, {kKeyB}) == text + "\n" + kBegin + "\n" + kKeyB + "\n" + kEnd + "\n");

    std::string after_block = kBegin + "\n" + kKeyB + "\n" + kEnd + "\n# tail";
    CHECK(render_authorized_keys(parse_ok(after_block), {kKeyA}) ==
          kBegin + "\n" + kKeyA + "\n" + kEnd + "\n# tail");
}

TEST_CASE("an empty authorized_keys file gets just the block, and stays empty with no keys") {
    auto file = parse_ok("");
    CHECK(render_authorized_keys(file, {}).empty());
    CHECK(render_authorized_keys(file, {kKeyA}) == kBegin + "\n" + kKeyA + "\n" + kEnd + "\n");
}

TEST_CASE("replacing the managed keys block in the middle of a file leaves the lines around it untouched") {
    std::string head = "# head\r\n" + kKeyA + "\r\n\n";
    std::string tail = "  # tail comment\nno-pty ssh-ed25519 " + kB + " tail key\n";
    std::string text = head + kBegin + "\n" + kKeyB + "\n" + kEnd + "\n" + tail;
    auto file = parse_ok(text);
    CHECK(file.had_block);
    CHECK(raws(file.managed) == std::vector<std::string>{kKeyB});
    CHECK(file.before.size() == 3);
    CHECK(file.after.size() == 2);
    std::string replaced = render_authorized_keys(file, {kKeyA, kKeyB});
    CHECK(replaced == head + kBegin + "\n" + kKeyA + "\n" + kKeyB + "\n" + kEnd + "\n" + tail);
}

TEST_CASE("an empty key list removes the block and nothing else") {
    std::string head = "# head\n" + kKeyA + "\n";
    std::string tail = "# tail";
    auto file = parse_ok(head + kBegin + "\n" + kKeyB + "\n" + kEnd + "\n" + tail);
    CHECK(render_authorized_keys(file, {}) == head + tail);
    CHECK(render_authorized_keys(parse_ok(head + kBegin + "\n" + kKeyB + "\n" + kEnd), {}) == head);
    CHECK(render_authorized_keys(parse_ok(kBegin + "\n" + kEnd + "\n"), {}).empty());
}

TEST_CASE("malformed managed keys markers are errors that name the line") {
    CHECK(parse_error("# x\n" + kBegin + "\n" + kKeyA + "\n").find("line 2: managed block has no") !=
          std::string::npos);
    CHECK(parse_error(kKeyA + "\n" + kEnd + "\n").find("line 2:") != std::string::npos);
    CHECK(parse_error(kKeyA + "\n" + kEnd + "\n").find("without a BEGIN") != std::string::npos);
    std::string twice = kBegin + "\n" + kEnd + "\n" + kBegin + "\n" + kEnd + "\n";
    CHECK(parse_error(twice).find("line 3: a second managed block") != std::string::npos);
    CHECK(parse_error(kBegin + "\n" + kBegin + "\n" + kEnd + "\n").find("opened again") != std::string::npos);
    CHECK(parse_error(kBegin + "\n" + kEnd + "\n" + kEnd + "\n").find("line 3:") != std::string::npos);
}

TEST_CASE("managed keys markers are found despite trailing whitespace, CR, or a reworded BEGIN text") {
    std::string text = "# BEGIN clusterctl managed keys (older wording)\r\n" + kKeyA + "\n" + kEnd + "  \r\n# x\n";
    auto file = parse_ok(text);
    CHECK(file.had_block);
    CHECK(raws(file.managed) == std::vector<std::string>{kKeyA});
    CHECK(raws(file.after) == std::vector<std::string>{"# x"});
    CHECK(render_authorized_keys(file, {kKeyA}) == kBegin + "\n" + kKeyA + "\n" + kEnd + "\n# x\n");
}

TEST_CASE("the same key outside and inside the block is reported as unmanaged only once, from outside") {
    std::string text = "# mine\n" + kKeyA + "\n" + kBegin + "\n" + kKeyA + "\n" + kEnd + "\ngarbage\n" +
                       "from=\"10.0.0.1\" " + kKeyB + "\n";
    auto file = parse_ok(text);
    REQUIRE(file.managed.size() == 1);
    CHECK(file.managed[0].is_key);
    auto outside = unmanaged_keys(file);
    REQUIRE(outside.size() == 2);
    CHECK(outside[0].base64 == kA);
    CHECK(outside[1].base64 == kB);
    CHECK(outside[1].options == "from=\"10.0.0.1\"");
    CHECK(render_authorized_keys(file, {}) == "# mine\n" + kKeyA + "\ngarbage\nfrom=\"10.0.0.1\" " + kKeyB + "\n");
}

// An empty block is the one exception: no managed lines means no block.
TEST_CASE("rendering a parsed authorized_keys file with its current managed lines reproduces it exactly") {
    const std::string block = kBegin + "\n" + kKeyA + "\n" + "no-pty " + kKeyB + "\n" + kEnd + "\n";
    const std::vector<std::string> inputs = {
        "",
        "\n",
        "\n\n\n",
        "no newline at all",
        kKeyA,
        kKeyA + "\n",
        "# c\r\n" + kKeyA + "\r\n",
        "   \t\n\t" + kKeyA + "   \t\n",
        R"(command="echo \"a,b\" c",no-pty )" + kKeyB + "\n",
        "garbage \"unterminated\n\x01\x02 binary-ish\n",
        block,
        "# before\n" + block + "# after",
        "# before\n\n" + block + "\n" + kKeyB + "\r\n",
        kKeyA + "\n" + kBegin + "\n" + kKeyB + "\n" + kEnd,
        kBegin + "\n" + kKeyA + "\n" + kEnd + "\n\n",
        kBegin + "\n# a comment inside\n\n" + kKeyA + "\r\n" + kEnd + "\n",
    };
    for (const auto& text : inputs) {
        CAPTURE(text);
        auto file = parse_authorized_keys(text);
        REQUIRE(file);
        CHECK(render_authorized_keys(*file, raws(file->managed)) == text);
    }
}

TEST_CASE("key lines clusterctl writes carry options and comment only when present") {
    auto key = parse_public_key(kKeyA);
    REQUIRE(key);
    CHECK(render_key_line(*key, "") == kKeyA);
    CHECK(render_key_line(*key, "no-pty,from=\"10.0.0.0/8\"") == "no-pty,from=\"10.0.0.0/8\" " + kKeyA);
    key->comment.clear();
    CHECK(render_key_line(*key, "") == "ssh-ed25519 " + kA);
    auto back = parse_authorized_key_line(render_key_line(*key, "command=\"x y\""));
    CHECK(back.is_key);
    CHECK(back.options == "command=\"x y\"");
    CHECK(back.base64 == kA);
}
