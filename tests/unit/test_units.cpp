#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "core/units.hpp"

using namespace cc;
using std::chrono::milliseconds;

namespace {

std::int64_t ms_of(std::string_view text) {
    auto d = parse_duration(text);
    REQUIRE_MESSAGE(d, text, ": ", d.error().message);
    return d->count();
}

std::string duration_error(std::string_view text) {
    auto d = parse_duration(text);
    REQUIRE_MESSAGE(!d, text, " unexpectedly parsed");
    CHECK(d.error().kind == ErrorKind::invalid_input);
    return d.error().message;
}

std::uint64_t bytes_of(std::string_view text) {
    auto size = parse_size(text);
    REQUIRE_MESSAGE(size, text, ": ", size.error().message);
    return *size;
}

std::string size_error(std::string_view text) {
    auto size = parse_size(text);
    REQUIRE_MESSAGE(!size, text, " unexpectedly parsed");
    CHECK(size.error().kind == ErrorKind::invalid_input);
    return size.error().message;
}

constexpr std::uint64_t KiB = 1024, MiB = KiB << 10, GiB = MiB << 10, TiB = GiB << 10, PiB = TiB << 10;

}  // namespace

TEST_CASE("a bare number is a duration in seconds") {
    CHECK(ms_of("30") == 30'000);
    CHECK(ms_of("1.5") == 1'500);
    CHECK(ms_of("0") == 0);
}

TEST_CASE("each duration unit is understood") {
    CHECK(ms_of("500ms") == 500);
    CHECK(ms_of("30s") == 30'000);
    CHECK(ms_of("1.5s") == 1'500);
    CHECK(ms_of(".5s") == 500);
    CHECK(ms_of("5m") == 300'000);
    CHECK(ms_of("2h") == 7'200'000);
    CHECK(ms_of("1d") == 86'400'000);
    CHECK(ms_of("0.25h") == 900'000);
}

TEST_CASE("duration parts add up as format_duration writes them") {
    CHECK(ms_of("2h30m") == 9'000'000);
    CHECK(ms_of("1m30s") == 90'000);
    CHECK(ms_of("1m250ms") == 60'250);
    CHECK(ms_of("1d2h") == 93'600'000);
}

TEST_CASE("whitespace around a duration is ignored") { CHECK(ms_of(" 5s\t") == 5'000); }

TEST_CASE("a negative duration is refused with the value named") {
    CHECK(duration_error("-5s") == "duration \"-5s\": must not be negative");
}

TEST_CASE("an empty duration is refused") {
    CHECK(duration_error("").starts_with("duration \"\": empty; expected a number with unit"));
    CHECK(duration_error("  ").starts_with("duration \"  \": empty;"));
}

TEST_CASE("a duration that is not a number with a unit is refused with the value named") {
    for (auto text : {"abc", "5x", "5 s", "1h30", "s", ".", "5M", "5S", "1.5.2s", "+5s", "5sec", "1e3"}) {
        CAPTURE(text);
        CHECK(duration_error(text) == "duration \"" + std::string(text) +
                                          "\": expected a number with unit ms, s, m, h or d, e.g. 30s, 1.5s, "
                                          "500ms, 2h30m");
    }
}

TEST_CASE("a duration longer than 365 days is refused, also where it would overflow") {
    const std::string why = "\": longer than the maximum of 365d";
    CHECK(duration_error("200000d") == "duration \"200000d" + why);
    CHECK(duration_error("366d") == "duration \"366d" + why);
    CHECK(duration_error("365d1ms") == "duration \"365d1ms" + why);
    CHECK(duration_error("8761h") == "duration \"8761h" + why);
    CHECK(duration_error("300000000000d") == "duration \"300000000000d" + why);
    CHECK(duration_error("99999999999999999999999") == "duration \"99999999999999999999999" + why);
    CHECK(duration_error("106751991167d1d") == "duration \"106751991167d1d" + why);
    CHECK(duration_error("9223372036854775807ms") == "duration \"9223372036854775807ms" + why);
    CHECK(ms_of("365d") == 31'536'000'000);
    CHECK(ms_of("364d23h59m59.999s") == 31'535'999'999);
}

TEST_CASE("a duration finer than a millisecond is refused") {
    CHECK(duration_error("0.5ms") == "duration \"0.5ms\": finer than a millisecond");
    CHECK(duration_error("1.0001s") == "duration \"1.0001s\": finer than a millisecond");
    CHECK(ms_of("1.0010000000000000000000000s") == 1'001);  // trailing zeros are not precision
}

TEST_CASE("format_duration writes the shortest form") {
    CHECK(format_duration(milliseconds(1'500)) == "1.5s");
    CHECK(format_duration(milliseconds(300'000)) == "5m");
    CHECK(format_duration(milliseconds(9'000'000)) == "2h30m");
    CHECK(format_duration(milliseconds(250)) == "250ms");
    CHECK(format_duration(milliseconds(0)) == "0s");
    CHECK(format_duration(milliseconds(86'400'000)) == "1d");
    CHECK(format_duration(milliseconds(61'500)) == "1m1.5s");
    CHECK(format_duration(milliseconds(60'250)) == "1m250ms");
    CHECK(format_duration(milliseconds(1'010)) == "1.01s");
    CHECK(format_duration(milliseconds(-2'000)) == "-2s");
}

TEST_CASE("format_duration output parses back to the same duration") {
    for (std::int64_t ms : {1LL, 999LL, 1'000LL, 1'001LL, 59'999LL, 3'600'000LL, 90'061'001LL, 31'536'000'000LL}) {
        CAPTURE(ms);
        CHECK(ms_of(format_duration(milliseconds(ms))) == ms);
    }
}

TEST_CASE("a bare number is a size in bytes") {
    CHECK(bytes_of("100") == 100);
    CHECK(bytes_of("0") == 0);
    CHECK(bytes_of("100B") == 100);
}

TEST_CASE("size units are binary with an optional B or iB in any case") {
    CHECK(bytes_of("64KiB") == 64 * KiB);
    CHECK(bytes_of("512M") == 512 * MiB);
    CHECK(bytes_of("128G") == 128 * GiB);
    CHECK(bytes_of("2GB") == 2 * GiB);
    CHECK(bytes_of("1.5T") == TiB + TiB / 2);
    CHECK(bytes_of("1k") == KiB);
    CHECK(bytes_of("1kib") == KiB);
    CHECK(bytes_of("3P") == 3 * PiB);
    CHECK(bytes_of("1.5E") == 3 * (PiB << 9));
}

TEST_CASE("a fraction of a size unit rounds down to whole bytes") {
    CHECK(bytes_of("1.5K") == 1'536);
    CHECK(bytes_of("0.1K") == 102);
}

TEST_CASE("a size may have spaces around its unit as format_bytes writes it") {
    CHECK(bytes_of("1.5 GiB") == GiB + GiB / 2);
    CHECK(bytes_of(" 10G ") == 10 * GiB);
}

TEST_CASE("a size that is not a number with a unit is refused with the value named") {
    for (auto text : {"abc", "12X", "G", "1GiBB", "1 2G", "1.5.2G", "1Gi", "1iB", "+1G", "1e3"}) {
        CAPTURE(text);
        CHECK(size_error(text) == "size \"" + std::string(text) +
                                      "\": expected a number with unit K, M, G, T, P or E (optionally followed by B "
                                      "or iB), e.g. 512M, 1.5G");
    }
    CHECK(size_error("").starts_with("size \"\": empty;"));
    CHECK(size_error("-1G") == "size \"-1G\": must not be negative");
    CHECK(size_error("1.5") == "size \"1.5\": a byte count must be a whole number");
}

TEST_CASE("an overflowing size is refused") {
    CHECK(size_error("16384P") == "size \"16384P\": too large");
    CHECK(size_error("16E") == "size \"16E\": too large");
    CHECK(size_error("18446744073709551616") == "size \"18446744073709551616\": too large");
    CHECK(bytes_of("18446744073709551615") == std::numeric_limits<std::uint64_t>::max());
}

TEST_CASE("format_bytes writes one decimal at most in binary units") {
    CHECK(format_bytes(0) == "0 B");
    CHECK(format_bytes(1'023) == "1023 B");
    CHECK(format_bytes(KiB) == "1 KiB");
    CHECK(format_bytes(1'536) == "1.5 KiB");
    CHECK(format_bytes(512 * MiB) == "512 MiB");
    CHECK(format_bytes(GiB + GiB / 2) == "1.5 GiB");
    CHECK(format_bytes(MiB - 1) == "1 MiB");  // not "1024 KiB"
    CHECK(format_bytes(GiB + GiB / 100) == "1 GiB");
    CHECK(format_bytes(std::numeric_limits<std::uint64_t>::max()) == "16 EiB");
}

TEST_CASE("format_bytes output parses back to within its rounding") {
    const std::uint64_t sizes[] = {0, 1, 1'000, 5 * GiB, 3 * TiB + 7 * GiB, 123'456'789};
    for (auto bytes : sizes) {
        CAPTURE(bytes);
        auto back = bytes_of(format_bytes(bytes));
        auto error = back > bytes ? back - bytes : bytes - back;
        CHECK(error * 20 <= bytes);  // one decimal: within 5%
    }
}
