#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/spelling.hpp"

using namespace cc;

namespace {
const std::vector<std::string> top_level{"node", "exec", "cp", "key", "gpu", "nodeset", "config", "version", "help"};
}

TEST_CASE("edit distance counts inserts, deletes, substitutions and swapped neighbours as one edit each") {
    CHECK(edit_distance("node", "node") == 0);
    CHECK(edit_distance("nod", "node") == 1);
    CHECK(edit_distance("nodee", "node") == 1);
    CHECK(edit_distance("mode", "node") == 1);
    CHECK(edit_distance("ndoe", "node") == 1);
    CHECK(edit_distance("", "node") == 4);
    CHECK(edit_distance("kitten", "sitting") == 3);
}

TEST_CASE("a mistyped command is matched to the closest one") {
    CHECK(closest_spelling("nod", top_level) == "node");
    CHECK(closest_spelling("exce", top_level) == "exec");
    CHECK(closest_spelling("gup", top_level) == "gpu");
    CHECK(closest_spelling("conifg", top_level) == "config");
    CHECK(closest_spelling("lst", {"add", "rm", "ls", "show"}) == "ls");
}

TEST_CASE("the start of a command name is matched to it") {
    CHECK(closest_spelling("conf", top_level) == "config");
    CHECK(closest_spelling("vers", top_level) == "version");
}

TEST_CASE("a word far from every command gets no suggestion") {
    CHECK_FALSE(closest_spelling("deploy", top_level));
    CHECK_FALSE(closest_spelling("x", top_level));
    CHECK_FALSE(closest_spelling("", top_level));
}
