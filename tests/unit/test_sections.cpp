// The one sectioned output format of remote scripts (lib/remote/sections):
// framing that survives hostile bytes, and a parser that refuses what is not
// one whole answer.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "core/shell_quote.hpp"
#include "remote/sections.hpp"
#include "sectioned_output.hpp"

using namespace cc;

TEST_SUITE_BEGIN("remote sections");

TEST_CASE("each section's body comes back byte for byte, an empty one and one without a final newline too") {
    auto s = parse_sections(sectioned({{"a", "one\ntwo\n"}, {"b", ""}, {"c", "no newline"}, {"d", "\n\n"}}), kTestNonce);
    REQUIRE(s);
    CHECK(*s->get("a") == "one\ntwo\n");
    CHECK(*s->get("b") == "");
    CHECK(*s->get("c") == "no newline");
    CHECK(*s->get("d") == "\n\n");
}

TEST_CASE("a missing section is an error that names it; value() reads it as empty") {
    auto s = parse_sections(sectioned({{"a", "x"}}), kTestNonce);
    REQUIRE(s);
    auto missing = s->get("gpus");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message.find("\"gpus\"") != std::string::npos);
    CHECK(s->value("gpus").empty());
    CHECK_FALSE(s->has("gpus"));
}

TEST_CASE("a section named twice is refused: a body cannot overwrite what the script printed") {
    auto s = parse_sections(sectioned({{"uid", "1000"}, {"content", "x"}, {"uid", "0"}}), kTestNonce);
    REQUIRE_FALSE(s);
    CHECK(s.error().message.find("two \"uid\" sections") != std::string::npos);
}

TEST_CASE("an answer cut short (no end marker, or half a marker line) is refused") {
    auto cut = parse_sections(sectioned({{"a", "x"}, {"b", "partial"}}, false), kTestNonce);
    REQUIRE_FALSE(cut);
    CHECK(cut.error().message.find("cut short") != std::string::npos);
    std::string whole = sectioned({{"a", "x"}});
    CHECK_FALSE(parse_sections(whole.substr(0, whole.size() - 2), kTestNonce));
    auto nothing = parse_sections("sh: syntax error\n", kTestNonce);
    REQUIRE_FALSE(nothing);
    CHECK(nothing.error().message.find("POSIX") != std::string::npos);
}

TEST_CASE("marker text in a body is body: another nonce, mid-line, or our nonce not at a line start") {
    std::string tricky = "@@" + std::string(kTestNonce) + " .\n" +  // would be our end marker if it began a line...
                         "x @@" + kTestNonce + " b\n" +                // ...or a section here
                         "@@ffffffffffffffffffffffffffffffff .\n@@content\n";
    std::string body = "prefix " + tricky;
    auto s = parse_sections(sectioned({{"a", body}, {"b", "after"}}), kTestNonce);
    REQUIRE(s);
    CHECK(*s->get("a") == body);
    CHECK(*s->get("b") == "after");
}

TEST_CASE("lines before the first marker (a login banner) are skipped") {
    auto s = parse_sections("Welcome!\n@@" + std::string(kTestNonce) + "x hostname\n" + sectioned({{"hostname", "n1"}}),
                            kTestNonce);
    REQUIRE(s);
    CHECK(*s->get("hostname") == "n1");
}

TEST_CASE("an answer over the size or section limit is refused, never cut and taken") {
    std::string big = sectioned({{"a", std::string(2000, 'x')}});
    auto over = parse_sections(big, kTestNonce, {.max_bytes = 1000});
    REQUIRE_FALSE(over);
    CHECK(over.error().message.find("over the limit of 1000 bytes") != std::string::npos);
    CHECK(parse_sections(big, kTestNonce, {.max_bytes = big.size()}));
    auto many = parse_sections(sectioned({{"a", ""}, {"b", ""}, {"c", ""}}), kTestNonce, {.max_sections = 2});
    REQUIRE_FALSE(many);
    CHECK(many.error().message.find("more than 2 sections") != std::string::npos);
}

TEST_CASE("a section name outside [a-z0-9_.] is refused") {
    CHECK_FALSE(parse_sections(sectioned({{"bad name", "x"}}), kTestNonce));
    CHECK_FALSE(parse_sections(sectioned({{"", "x"}}), kTestNonce));
}

TEST_CASE("nonces are 32 hex digits and differ between runs") {
    std::string a = new_section_nonce(), b = new_section_nonce();
    CHECK(a.size() == 32);
    CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(a != b);
}

TEST_CASE("the shell functions print what the parser reads, whatever the bodies hold") {
    std::string nonce = new_section_nonce();
    std::string script = section_functions(nonce) +
                         "section a; printf 'x\\n@@%s b\\n' other\nsection b; printf 'no newline'\nsections_end\n";
    FILE* pipe = ::popen(("/bin/sh -c " + shell_quote(script)).c_str(), "r");
    REQUIRE(pipe);
    std::string out;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.append(buf, n);
    ::pclose(pipe);
    auto s = parse_sections(out, nonce);
    REQUIRE(s);
    CHECK(*s->get("a") == "x\n@@other b\n");
    CHECK(*s->get("b") == "no newline");
}

TEST_SUITE_END();
