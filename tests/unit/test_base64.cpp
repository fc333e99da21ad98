#include <doctest/doctest.h>

#include "core/base64.hpp"

using namespace cc;

TEST_CASE("base64 round trips every length") {
    for (std::string s : {"", "a", "ab", "abc", "abcd", "abcde"}) CHECK(*base64_decode(base64_encode(s)) == s);
    CHECK_FALSE(base64_decode("abc"));
}
