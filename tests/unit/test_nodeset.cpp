#include <doctest/doctest.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "core/nodeset.hpp"

using namespace cc;
using Names = std::vector<std::string>;

namespace {

Result<Names> resolve_test_group(std::string_view group) {
    static const std::map<std::string, Names, std::less<>> groups{
        {"all", {"cpu1", "gpu01", "gpu02", "gpu03", "gpu04", "login"}},
        {"gpu", {"gpu04", "gpu03", "gpu02", "gpu01"}},
        {"bad-members", {"gpu01", "not valid"}},
    };
    auto it = groups.find(group);
    if (it == groups.end()) return fail(ErrorKind::not_found, "group \"" + std::string(group) + "\" does not exist");
    return it->second;
}

Names expand(std::string_view expr) {
    auto names = expand_nodeset(expr, resolve_test_group);
    REQUIRE_MESSAGE(names, expr, ": ", names.error().message);
    return *names;
}

// The message of the invalid_input error that expr must produce.
std::string error_of(std::string_view expr) {
    auto names = expand_nodeset(expr, resolve_test_group);
    REQUIRE_MESSAGE(!names, expr, " unexpectedly expanded");
    CHECK(names.error().kind == ErrorKind::invalid_input);
    return names.error().message;
}

Names sorted_unique(Names names) {
    std::ranges::sort(names, natural_less);
    names.erase(std::ranges::unique(names).begin(), names.end());
    return names;
}

}  // namespace

TEST_CASE("a plain node name expands to itself") { CHECK(expand("gpu01") == Names{"gpu01"}); }

TEST_CASE("a bracket range expands with its zero padding kept") {
    CHECK(expand("gpu[01-08]") == Names{"gpu01", "gpu02", "gpu03", "gpu04", "gpu05", "gpu06", "gpu07", "gpu08"});
}

TEST_CASE("an unpadded range grows in width as the numbers do") {
    CHECK(expand("gpu[8-10]") == Names{"gpu8", "gpu9", "gpu10"});
}

TEST_CASE("a three-digit padding is kept across the whole range") {
    auto names = expand("n[001-100]");
    REQUIRE(names.size() == 100);
    CHECK(names.front() == "n001");
    CHECK(names[9] == "n010");
    CHECK(names.back() == "n100");
}

TEST_CASE("a padded bound needs a bound of the same width, as in ClusterShell 1.9") {
    CHECK(error_of("n[01-100]") == "nodeset \"n[01-100]\": \"01-100\": padding length mismatch (2 and 3 digits)");
    CHECK(error_of("n[1-010]") == "nodeset \"n[1-010]\": \"1-010\": padding length mismatch (1 and 3 digits)");
    CHECK(error_of("n[9-010]").ends_with("padding length mismatch (1 and 3 digits)"));
    CHECK(expand("n[08-10]") == Names{"n08", "n09", "n10"});
    CHECK(expand("n[00-02]") == Names{"n00", "n01", "n02"});
    CHECK(expand("n[0-2]") == Names{"n0", "n1", "n2"});
}

TEST_CASE("numbers of different widths in one bracket stay different names") {
    CHECK(expand("n[1,01,001]") == Names{"n001", "n01", "n1"});
    CHECK(expand("n[01-02,1-2]").size() == 4);
}

TEST_CASE("a bracket list mixes ranges and single numbers") {
    CHECK(expand("gpu[01-04,07]") == Names{"gpu01", "gpu02", "gpu03", "gpu04", "gpu07"});
    CHECK(expand("gpu[007]") == Names{"gpu007"});
    CHECK(expand("gpu[ 1 - 2 , 5 ]") == Names{"gpu1", "gpu2", "gpu5"});
}

TEST_CASE("a step keeps every nth number of a range") {
    CHECK(expand("n[1-10/2]") == Names{"n1", "n3", "n5", "n7", "n9"});
    CHECK(expand("n[01-10/3]") == Names{"n01", "n04", "n07", "n10"});
    CHECK(expand("n[1-2/5]") == Names{"n1"});
}

TEST_CASE("several brackets expand as a cartesian product in order") {
    CHECK(expand("r[1-2]n[1-3]") == Names{"r1n1", "r1n2", "r1n3", "r2n1", "r2n2", "r2n3"});
}

TEST_CASE("text after a bracket is kept as a suffix") {
    CHECK(expand("gpu[1-2]-ib.lan") == Names{"gpu1-ib.lan", "gpu2-ib.lan"});
}

TEST_CASE("commas inside brackets belong to the bracket and outside make a union") {
    CHECK(expand("gpu[1,3],cpu[2,4]") == Names{"cpu2", "cpu4", "gpu1", "gpu3"});
}

TEST_CASE("the expansion is in natural order without duplicates") {
    CHECK(expand("gpu10,gpu2,gpu[1-3],gpu2,gpu02") == Names{"gpu1", "gpu02", "gpu2", "gpu3", "gpu10"});
}

TEST_CASE("whitespace around terms is ignored") {
    CHECK(expand("  gpu01 ,\tgpu02 , ! gpu01 ") == Names{"gpu02"});
    CHECK(expand("gpu[1-3] ! gpu2 ") == Names{"gpu1", "gpu3"});
}

TEST_CASE("'!' takes the difference, '&' the intersection and '^' the symmetric difference") {
    CHECK(expand("n[1-5]!n[2-3]") == Names{"n1", "n4", "n5"});
    CHECK(expand("n[1-5]&n[4-8]") == Names{"n4", "n5"});
    CHECK(expand("n[1-5]^n[4-8]") == Names{"n1", "n2", "n3", "n6", "n7", "n8"});
    CHECK(expand("n[1-5]&m[1-5]").empty());
}

TEST_CASE("operators apply left to right with ',' as one of them") {
    CHECK(expand("n[1-5]!n2,n2") == Names{"n1", "n2", "n3", "n4", "n5"});  // (n[1-5]!n2),n2
    CHECK(expand("a,b!b,c") == Names{"a", "c"});
    CHECK(expand("n[1-5]&n[2-3]^n[3-9]") == Names{"n2", "n4", "n5", "n6", "n7", "n8", "n9"});
}

TEST_CASE("an operator needs an operand on both sides") {
    CHECK(error_of("a&") == "nodeset \"a&\": nothing after '&'");
    CHECK(error_of("&a") == "nodeset \"&a\": nothing before '&'");
    CHECK(error_of("a!!b") == "nodeset \"a!!b\": nothing before '!'");
    CHECK(error_of("n[1-3]^") == "nodeset \"n[1-3]^\": nothing after '^'");
}

TEST_CASE("an exclusion term is clusterctl's own and removes its names wherever it stands") {
    CHECK(expand("n[1-5],!n3,n3") == Names{"n1", "n2", "n4", "n5"});
    CHECK(expand("!n3,n[1-5]!n1") == Names{"n2", "n4", "n5"});
    CHECK(error_of("n[1-5],!n3&n2") ==
          "nodeset \"n[1-5],!n3&n2\": an exclusion \"!x\" must be followed by ',' or end the expression, not '&'");
    CHECK(error_of("a&!b") == "nodeset \"a&!b\": nothing before '!'");
}

TEST_CASE("digits glued before a bracket belong to every number in it, as in ClusterShell") {
    CHECK(expand("prod-2[10-320]").size() == 2111);  // prod-[210-2320]
    CHECK(expand("n0[1-3]") == Names{"n01", "n02", "n03"});
    CHECK(expand("n1[9-10]").size() == 92);  // n[19-110]
    CHECK(error_of("n0[9-10]").ends_with("padding length mismatch (2 and 3 digits)"));
}

TEST_CASE("digits glued after a bracket shift every number in it") {
    CHECK(expand("n[1-3]0") == Names{"n10", "n20", "n30"});
    CHECK(expand("n[1-2]05") == Names{"n105", "n205"});
    CHECK(error_of("n[1-9/2]0") == "nodeset \"n[1-9/2]0\": digits \"0\" after a bracket with a step");
}

TEST_CASE("a group expands to its members and @all to every node") {
    CHECK(expand("@gpu") == Names{"gpu01", "gpu02", "gpu03", "gpu04"});
    CHECK(expand("@all") == Names{"cpu1", "gpu01", "gpu02", "gpu03", "gpu04", "login"});
    CHECK(expand("@gpu,cpu1") == Names{"cpu1", "gpu01", "gpu02", "gpu03", "gpu04"});
}

TEST_CASE("an unknown group fails with the resolver's error") {
    auto names = expand_nodeset("gpu01,@nope", resolve_test_group);
    REQUIRE_FALSE(names);
    CHECK(names.error().kind == ErrorKind::not_found);
    CHECK(names.error().message == "group \"nope\" does not exist");
}

TEST_CASE("an exclusion removes its expansion wherever it appears") {
    Names without_03{"gpu01", "gpu02", "gpu04"};
    CHECK(expand("@gpu,!gpu03") == without_03);
    CHECK(expand("!gpu03,@gpu") == without_03);
    CHECK(expand("gpu[01-08],!gpu[03-04]") == Names{"gpu01", "gpu02", "gpu05", "gpu06", "gpu07", "gpu08"});
    CHECK(expand("@all,!@gpu") == Names{"cpu1", "login"});
    CHECK(expand("gpu3,!gpu03") == Names{"gpu3"});  // exclusion matches names, not numbers
}

TEST_CASE("an expression of only exclusions expands to no nodes") { CHECK(expand("!gpu03").empty()); }

TEST_CASE("an empty expression is refused") {
    CHECK(error_of("") == "nodeset \"\": empty expression");
    CHECK(error_of("  ") == "nodeset \"  \": empty expression");
}

TEST_CASE("an empty term is refused with the expression named") {
    CHECK(error_of("gpu01,,gpu02") == "nodeset \"gpu01,,gpu02\": nothing before ','");
    CHECK(error_of("gpu01, ") == "nodeset \"gpu01, \": nothing after ','");
    CHECK(error_of("gpu01, ,x") == "nodeset \"gpu01, ,x\": nothing before ','");
    CHECK(error_of("gpu01,!") == "nodeset \"gpu01,!\": empty term");
}

TEST_CASE("unbalanced brackets are refused") {
    CHECK(error_of("gpu[01-03") == "nodeset \"gpu[01-03\": unbalanced '[' without ']'");
    CHECK(error_of("gpu01]") == "nodeset \"gpu01]\": unbalanced ']' without '['");
    CHECK(error_of("gpu]1[") == "nodeset \"gpu]1[\": unbalanced '[' without ']'");
    CHECK(error_of("gpu[1-2]x]") == "nodeset \"gpu[1-2]x]\": unbalanced ']' without '['");
    CHECK(error_of("gpu[1][2]") == "nodeset \"gpu[1][2]\": \"][\": a bracket cannot follow a bracket");
}

TEST_CASE("nested brackets are refused") {
    CHECK(error_of("gpu[1[2]]") == "nodeset \"gpu[1[2]]\": nested '[' is not allowed");
}

TEST_CASE("empty brackets and empty ranges are refused") {
    CHECK(error_of("gpu[]") == "nodeset \"gpu[]\": empty range inside brackets");
    CHECK(error_of("gpu[ ]") == "nodeset \"gpu[ ]\": empty range inside brackets");
    CHECK(error_of("gpu[1,,3]") == "nodeset \"gpu[1,,3]\": empty range inside brackets");
}

TEST_CASE("a descending range is refused with the range named") {
    CHECK(error_of("gpu[08-01]") == "nodeset \"gpu[08-01]\": range 08-01 is descending");
}

TEST_CASE("a non-numeric bound is refused with the bound named") {
    CHECK(error_of("gpu[a-3]") == "nodeset \"gpu[a-3]\": bound \"a\" is not a number");
    CHECK(error_of("gpu[1-x]") == "nodeset \"gpu[1-x]\": bound \"x\" is not a number");
    CHECK(error_of("gpu[1-3x]") == "nodeset \"gpu[1-3x]\": bound \"3x\" is not a number");
    CHECK(error_of("gpu[1234567890123456789]") ==
          "nodeset \"gpu[1234567890123456789]\": bound \"1234567890123456789\" is too large");
}

TEST_CASE("negative numbers are refused where ClusterShell would read them") {
    CHECK(error_of("gpu[-3]") == "nodeset \"gpu[-3]\": \"-3\": negative numbers are not supported");
    CHECK(error_of("gpu[1-2-3]") == "nodeset \"gpu[1-2-3]\": \"1-2-3\": negative numbers are not supported");
    CHECK(error_of("gpu[-5-5]").ends_with("negative numbers are not supported"));
}

TEST_CASE("a bad step is refused with the step named") {
    CHECK(error_of("n[1-10/0]") == "nodeset \"n[1-10/0]\": step \"0\" is not a positive number");
    CHECK(error_of("n[1-10/x]") == "nodeset \"n[1-10/x]\": step \"x\" is not a positive number");
    CHECK(error_of("n[1-10/]") == "nodeset \"n[1-10/]\": step \"\" is not a positive number");
    CHECK(error_of("n[5/2]") == "nodeset \"n[5/2]\": step \"/2\" needs a range like 1-10/2");
}

TEST_CASE("a group name outside letters, digits, dot, dash and underscore is refused") {
    CHECK(error_of("@bad$name") == "nodeset \"@bad$name\": invalid group name \"bad$name\"");
    CHECK(error_of("@") == "nodeset \"@\": invalid group name \"\"");
    CHECK(error_of("@gpu[1-2]") == "nodeset \"@gpu[1-2]\": invalid group name \"gpu[1-2]\"");
}

TEST_CASE("an expansion larger than 100000 names is refused") {
    CHECK(expand("n[1-100000]").size() == 100000);
    CHECK(error_of("n[1-100001]") == "nodeset \"n[1-100001]\": expands to more than 100000 names");
    CHECK(error_of("r[1-1000]n[1-101]") == "nodeset \"r[1-1000]n[1-101]\": expands to more than 100000 names");
    CHECK(error_of("n[1-60000],m[1-60000]") ==
          "nodeset \"n[1-60000],m[1-60000]\": expands to more than 100000 names");
    CHECK(error_of("n[1-18446744073709551]") ==
          "nodeset \"n[1-18446744073709551]\": expands to more than 100000 names");
}

TEST_CASE("the 100000-name cap stops the expansion at the first term that passes it") {
    int groups_asked = 0;
    GroupResolver counting = [&](std::string_view group) {
        ++groups_asked;
        return resolve_test_group(group);
    };
    auto names = expand_nodeset("n[1-60000],m[1-60000],@all", counting);
    REQUIRE_FALSE(names);
    CHECK(names.error().message == "nodeset \"n[1-60000],m[1-60000],@all\": expands to more than 100000 names");
    CHECK(groups_asked == 0);  // refused before the later terms were expanded
}

TEST_CASE("a huge range is refused before any name is made") {
    CHECK(error_of("n[1-999999999]") == "nodeset \"n[1-999999999]\": expands to more than 100000 names");
    CHECK(error_of("n[1-99999],n[1-999999999999]").ends_with("expands to more than 100000 names"));
}

TEST_CASE("names repeated across terms count once against the cap") {
    CHECK(expand("n[1-60000],n[1-60000],n[30000-90000]").size() == 90000);
}

TEST_CASE("exclusions are capped like inclusions") {
    CHECK(error_of("gpu1,!n[1-60000],!m[1-60000]").ends_with("expands to more than 100000 names"));
}

TEST_CASE("a resulting name that is not a valid node name is refused with the name") {
    CHECK(error_of("gpu 01") == "nodeset \"gpu 01\": \"gpu 01\" is not a valid node name");
    CHECK(error_of("-gpu[1-2]") == "nodeset \"-gpu[1-2]\": \"-gpu1\" is not a valid node name");
    CHECK(error_of("gpu;reboot") == "nodeset \"gpu;reboot\": \"gpu;reboot\" is not a valid node name");
    CHECK(error_of("@bad-members") == "nodeset \"@bad-members\": \"not valid\" is not a valid node name");
    auto long_name = std::string(252, 'a') + "[1-10]";  // a...a1 has 253 characters, a...a10 one too many
    CHECK(error_of(long_name).ends_with(std::string(252, 'a') + "10\" is not a valid node name"));
}

TEST_CASE("natural order compares digit runs by value") {
    CHECK(natural_less("gpu2", "gpu10"));
    CHECK_FALSE(natural_less("gpu10", "gpu2"));
    CHECK(natural_less("gpu01", "gpu1"));  // same number: bytes decide, so the order stays total
    CHECK_FALSE(natural_less("gpu1", "gpu01"));
    CHECK(natural_less("gpu", "gpu1"));
    CHECK(natural_less("r1n10", "r2n1"));
    CHECK(natural_less("a9b", "a10a"));
    CHECK_FALSE(natural_less("gpu1", "gpu1"));
}

TEST_CASE("fold gives the compact form of a list of names") {
    CHECK(fold_nodeset({"gpu01", "gpu02", "gpu03", "gpu07", "cpu1"}) == "cpu1,gpu[01-03,07]");
}

TEST_CASE("fold sorts, removes duplicates and leaves a lone name bare") {
    CHECK(fold_nodeset({"gpu3", "gpu1", "gpu2", "gpu1"}) == "gpu[1-3]");
    CHECK(fold_nodeset({"gpu7"}) == "gpu7");
    CHECK(fold_nodeset({}).empty());
}

TEST_CASE("fold leaves names without digits as they are") {
    CHECK(fold_nodeset({"login", "gpu1", "admin"}) == "admin,gpu1,login");
}

TEST_CASE("fold groups names by prefix and suffix around the last number") {
    CHECK(fold_nodeset({"r1n1", "r1n2", "r2n1"}) == "r1n[1-2],r2n1");
    CHECK(fold_nodeset({"gpu1-ib", "gpu2-ib", "gpu3"}) == "gpu3,gpu[1-2]-ib");  // ClusterShell's order: by pattern
}

TEST_CASE("fold folds every number of a name, as ClusterShell does") {
    Names names;
    for (int n = 1; n <= 50000; ++n)
        for (int p = 1; p <= 2; ++p) names.push_back("n" + std::to_string(n) + "p" + std::to_string(p));
    CHECK(fold_nodeset(names) == "n[1-50000]p[1-2]");
    CHECK(fold_nodeset(expand("artcore[2-32000]-ib0")) == "artcore[2-32000]-ib0");
    CHECK(fold_nodeset(expand("r[1-2]n[1-3],r3n1")) == "r[1-2]n[1-3],r3n1");
    CHECK(fold_nodeset(expand("rack[1-4]-node[01-32]")) == "rack[1-4]-node[01-32]");
}

// The speed claim is the plain build's; an ASan build (3-10x slower) checks correctness.
#if defined(__SANITIZE_ADDRESS__)
constexpr double kFoldSeconds = 10.0;
#else
constexpr double kFoldSeconds = 1.0;
#endif

TEST_CASE("100000 names fold in well under a second") {
    Names names;
    for (int r = 1; r <= 1000; ++r)
        for (int n = 1; n <= 100; ++n) names.push_back("r" + std::to_string(r) + "n" + std::to_string(n));
    // CPU time, not wall time: a busy CI machine must not make this fail.
    auto start = std::clock();
    auto folded = fold_nodeset(names);
    auto seconds = double(std::clock() - start) / CLOCKS_PER_SEC;
    MESSAGE("100000 names folded in ", seconds, " s of CPU");
    CHECK(folded == "r[1-1000]n[1-100]");
    CHECK(seconds < kFoldSeconds);
}

TEST_CASE("fold keeps padding and does not merge names differing only in padding width") {
    CHECK(fold_nodeset({"gpu1", "gpu01", "gpu2", "gpu02"}) == "gpu[1-2,01-02]");  // shorter first
    CHECK(fold_nodeset({"n8", "n9", "n10"}) == "n[8-10]");
    CHECK(fold_nodeset({"n098", "n099", "n100"}) == "n[098-100]");
    CHECK(fold_nodeset({"n09", "n10", "n9"}) == "n[9,09-10]");
}

TEST_CASE("expanding a folded list gives the list back") {
    std::vector<Names> lists{
        {"gpu01", "gpu02", "gpu03", "gpu07", "cpu1"},
        {"gpu1", "gpu01", "gpu2", "gpu02", "gpu10", "gpu010"},
        {"n8", "n9", "n10", "n11", "n098", "n099", "n100", "n0"},
        {"r1n1", "r1n2", "r2n1", "r2n2", "login", "a.b-c_d"},
        {"x1y", "x2y", "x3z", "x4y", "x5"},
    };
    for (const auto& list : lists) {
        auto folded = fold_nodeset(list);
        CAPTURE(folded);
        CHECK(expand(folded) == sorted_unique(list));
    }
}

TEST_CASE("fold lists each of many separate numbers in order") {
    Names odd;
    std::string expected = "n[";
    for (int i = 1; i <= 59999; i += 2) {
        odd.push_back("n" + std::to_string(i));
        expected += (i == 1 ? "" : ",") + std::to_string(i);
    }
    CHECK(fold_nodeset(odd) == expected + "]");
}

TEST_CASE("fold joins runs of every padding width that meet in the same number") {
    // 01-09 and 1-9 both end at 9: 10 continues the wider one (01-10 expands back to 10),
    // and 010 neither (neither padding writes 10 as 010).
    Names names{"n010", "n10"};
    for (int i = 1; i <= 9; ++i) {
        names.push_back("n" + std::to_string(i));
        names.push_back("n0" + std::to_string(i));
    }
    CHECK(fold_nodeset(names) == "n[1-9,01-10,010]");
    CHECK(expand(fold_nodeset(names)) == sorted_unique(names));
}

TEST_CASE("a valid node name is letters, digits, dot, dash and underscore") {
    CHECK(is_valid_node_name("gpu01"));
    CHECK(is_valid_node_name("a.b_c-d"));
    CHECK(is_valid_node_name(std::string(253, 'n')));
    CHECK_FALSE(is_valid_node_name(""));
    CHECK_FALSE(is_valid_node_name("-x"));
    CHECK_FALSE(is_valid_node_name("gpu 1"));
    CHECK_FALSE(is_valid_node_name("gpu;1"));
    CHECK_FALSE(is_valid_node_name("gpü"));
    CHECK_FALSE(is_valid_node_name(std::string(254, 'n')));
    CHECK(validate_node_name("gpu01").value() == "gpu01");
}

TEST_CASE("an invalid node name is refused with the name and the reason") {
    auto error = [](std::string_view name) {
        auto result = validate_node_name(name);
        REQUIRE_FALSE(result);
        CHECK(result.error().kind == ErrorKind::invalid_input);
        return result.error().message;
    };
    CHECK(error("-x") == "invalid node name \"-x\": must not start with '-'");
    CHECK(error("") == "invalid node name \"\": must not be empty");
    CHECK(error("a b") == "invalid node name \"a b\": use letters, digits, '.', '_' or '-'");
    CHECK(error(std::string(254, 'n')).ends_with("\": longer than 253 characters"));
}

TEST_CASE("a host is a host name, an IPv4 address or a bracketless IPv6 literal") {
    for (auto host : {"gpu01", "gpu01.cluster.example.com", "node_7.lan", "10.0.0.7", "::1", "fe80::1%eth0",
                      "2001:db8::42"}) {
        CAPTURE(host);
        CHECK(is_valid_host(host));
    }
}

TEST_CASE("a host with a leading dash, whitespace or shell metacharacters is refused") {
    for (auto host : {"", "-oProxyCommand=sh", "host name", "a;b", "$(reboot)", "a`b`", "a|b", "a&b", "a>b",
                      "gpu01\n", "[::1]", "999.1.1.1", "1.2.3", "a..b", ".a", "fe80::1%", "fe80::1%e th0", "::g"}) {
        CAPTURE(host);
        CHECK_FALSE(is_valid_host(host));
    }
    CHECK_FALSE(is_valid_host(std::string(254, 'h')));
}
