#include <doctest/doctest.h>

#include <cstdint>
#include <string>

#include "core/quantity.hpp"
#include "core/volume_spec.hpp"

using namespace cc;

namespace {

constexpr std::int64_t GiB = std::int64_t{1} << 30, TiB = GiB << 10, MiB = std::int64_t{1} << 20;

template <class T>
std::string error_of(const Result<T>& r) {
    REQUIRE_MESSAGE(!r, "unexpectedly parsed");
    CHECK(r.error().kind == ErrorKind::invalid_input);
    return r.error().message;
}

bool mentions(const std::string& message, const std::string& part) { return message.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("CPUs are read to thousandths, as --cpus takes them") {
    struct Row {
        const char* text;
        std::int64_t milli;
    };
    for (const Row& row : {Row{"0.5", 500}, Row{"24.5", 24'500}, Row{"2", 2000}, Row{"0", 0}, Row{"12.125", 12'125},
                           Row{"1.05", 1050}, Row{"007", 7000}, Row{"1000000", 1'000'000'000}}) {
        auto cpus = parse_cpus(row.text);
        REQUIRE_MESSAGE(cpus, row.text);
        CHECK_MESSAGE(*cpus == row.milli, row.text);
        CHECK(*parse_cpus(format_cpus(*cpus)) == *cpus);
    }
    CHECK(format_cpus(24'500) == "24.5");
    CHECK(format_cpus(500) == "0.5");
    CHECK(format_cpus(2000) == "2");
    CHECK(format_cpus(1050) == "1.05");
}

TEST_CASE("negative, over-precise and garbage CPU counts are refused naming the value") {
    CHECK(mentions(error_of(parse_cpus("-1")), "negative"));
    CHECK(mentions(error_of(parse_cpus("0.0001")), "at most 3 decimals"));
    for (const char* bad : {"", ".", "1.", ".5", "1.5.2", "one", "1e3", " 2", "2 ", "0x10", "+1", "1,5"})
        CHECK_MESSAGE(mentions(error_of(parse_cpus(bad)), "\"" + std::string(bad) + "\""), bad);
    CHECK(mentions(error_of(parse_cpus("1000000.001")), "more than 1000000"));
    CHECK(mentions(error_of(parse_cpus("99999999999999999999")), "more than 1000000"));
}

TEST_CASE("a quota list sets the keys it names and leaves the others to the level") {
    auto quota = parse_quota("gpus=2,cpus=24.5,memory=128G,storage=500G,instances=5");
    REQUIRE(quota);
    CHECK(*quota == QuotaOverrides{2, 24'500, 128 * GiB, 500 * GiB, 5});

    auto partial = parse_quota("memory=512M");
    REQUIRE(partial);
    CHECK(*partial == QuotaOverrides{std::nullopt, std::nullopt, 512 * MiB, std::nullopt, std::nullopt});
    auto limits = effective_limits(builtin_level("small"), *partial);
    CHECK(limits == ResourceLimits{1, 12'500, 512 * MiB, 100 * GiB, 2});

    auto merged = parse_quota("gpus=4,memory=default", *partial);
    REQUIRE(merged);
    CHECK(*merged == QuotaOverrides{4, std::nullopt, std::nullopt, std::nullopt, std::nullopt});
}

TEST_CASE("sizes in a quota are binary: 1T is a TiB, 128GiB and 128G are the same") {
    auto quota = parse_quota("storage=1T,memory=128GiB");
    REQUIRE(quota);
    CHECK(quota->storage_bytes == TiB);
    CHECK(quota->memory_bytes == *parse_quota("memory=128G")->memory_bytes);
    CHECK(format_limit("memory", 128 * GiB) == "128GiB");
    CHECK(format_limit("storage", TiB) == "1TiB");
    CHECK(format_limit("cpus", 12'500) == "12.5");
    CHECK(format_limit("memory", 1234567) == "1234567");  // not a round size: exact bytes, not 1.2MiB
}

TEST_CASE("a bad quota names the key or value at fault") {
    struct Row {
        const char* text;
        const char* named;
    };
    for (const Row& row : {Row{"gpu=2", "unknown key \"gpu\""}, Row{"gpus=two", "gpus \"two\""},
                           Row{"cpus=-1", "negative"}, Row{"memory=lots", "size \"lots\""},
                           Row{"instances=1.5", "instances \"1.5\""}, Row{"gpus", "\"gpus\" has no value"},
                           Row{"gpus=1,gpus=2", "\"gpus\" given twice"}, Row{"", "unknown key \"\""},
                           Row{"gpus=1,", "unknown key \"\""}, Row{"storage=-5G", "negative"}}) {
        auto message = error_of(parse_quota(row.text));
        CHECK_MESSAGE(mentions(message, row.named), row.text, " → ", message);
    }
}

TEST_CASE("the levels' built-in limits are the ones labs use") {
    CHECK(builtin_level("small") == ResourceLimits{1, 12'500, 64 * GiB, 100 * GiB, 2});
    CHECK(builtin_level("mid") == ResourceLimits{2, 24'500, 128 * GiB, 500 * GiB, 4});
    CHECK(builtin_level("big") == ResourceLimits{4, 32'500, 250 * GiB, TiB, 8});
    CHECK(is_level_name("mid"));
    CHECK_FALSE(is_level_name("huge"));
}

TEST_CASE("a port range is FIRST-LAST within 1 to 65535") {
    CHECK(*parse_port_range("30000-32767") == PortRange{30000, 32767});
    CHECK(*parse_port_range("8080-8080") == PortRange{8080, 8080});
    CHECK(format_port_range({30000, 30003}) == "30000-30003");
    for (const char* bad : {"", "30000", "0-10", "10-65536", "200-100", "a-b", "-5-10", "1-2-3"})
        CHECK_MESSAGE(mentions(error_of(parse_port_range(bad)), "\"" + std::string(bad) + "\""), bad);
}

TEST_CASE("a volume is SRC:DST with an optional ro or rw, both absolute") {
    CHECK(*parse_volume("/data/proj:/data") == VolumeMount{"/data/proj", "/data", false});
    CHECK(*parse_volume("/data/proj:/data:ro") == VolumeMount{"/data/proj", "/data", true});
    CHECK(*parse_volume("/scratch:/scratch:rw") == VolumeMount{"/scratch", "/scratch", false});
    CHECK(format_volume({"/a", "/b", true}) == "/a:/b:ro");
    for (const char* bad : {"/a", "a:/b", "/a:b", "/a:/b:rx", "/a:/b:ro:x", "/a/../etc:/b", "/a:/b\n", "/a,b:/c", ""})
        CHECK_MESSAGE(mentions(error_of(parse_volume(bad)), "volume \""), bad);
}
