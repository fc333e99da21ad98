#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "config/config.hpp"
#include "temp_dir.hpp"

using namespace cc;

namespace {

constexpr std::int64_t GiB = std::int64_t{1} << 30;

std::string shown(const Config& c, const std::string& key) {
    for (const auto& e : c.entries)
        if (e.key == key) return e.value;
    FAIL("no key ", key);
    return "";
}

}  // namespace

TEST_CASE("levels and the port range default to the issue's values and show in config show") {
    TempDir dir;
    auto c = load_config(dir.file("absent.toml"), {});
    REQUIRE(c);
    CHECK(c->settings.levels.at("small") == ResourceLimits{1, 12'500, 64 * GiB, 100 * GiB, 2});
    CHECK(c->settings.levels.at("big") == ResourceLimits{4, 32'500, 250 * GiB, 1024 * GiB, 8});
    CHECK(c->settings.port_range == PortRange{30000, 32767});
    CHECK(shown(*c, "levels.mid.cpus") == "24.5");
    CHECK(shown(*c, "levels.mid.memory") == "128GiB");
    CHECK(shown(*c, "levels.big.storage") == "1TiB");
    CHECK(shown(*c, "instances.port_range") == "30000-32767");
}

TEST_CASE("a level's keys are overridden one by one from the file, a float CPU count included") {
    TempDir dir;
    auto path = dir.write("c.toml",
                          "[levels.mid]\ngpus = 3\ncpus = 20.5\nmemory = \"96G\"\n"
                          "[instances]\nport_range = \"40000-40099\"\n");
    auto c = load_config(path, {});
    REQUIRE_MESSAGE(c, c.error().message);
    CHECK(c->settings.levels.at("mid") == ResourceLimits{3, 20'500, 96 * GiB, 500 * GiB, 4});
    CHECK(c->settings.levels.at("small") == ResourceLimits{1, 12'500, 64 * GiB, 100 * GiB, 2});
    CHECK(c->settings.port_range == PortRange{40000, 40099});
}

TEST_CASE("a bad level value or port range is refused at its line, naming the key") {
    TempDir dir;
    auto c = load_config(dir.write("c.toml", "[levels.small]\ncpus = -1\n"), {});
    REQUIRE_FALSE(c);
    CHECK(c.error().message.find(":2:") != std::string::npos);
    CHECK(c.error().message.find("levels.small.cpus") != std::string::npos);

    auto unknown = load_config(dir.write("u.toml", "[levels.huge]\ngpus = 8\n"), {});
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message.find("unknown key \"levels.huge.gpus\"") != std::string::npos);

    auto range = load_config(dir.write("r.toml", "[instances]\nport_range = \"32767-30000\"\n"), {});
    REQUIRE_FALSE(range);
    CHECK(range.error().message.find("instances.port_range") != std::string::npos);
}

TEST_CASE("the example config file sets every level to its default") {
    auto c = load_config(std::string(CLUSTERCTL_FIXTURES_DIR) + "/../../examples/config.toml", {}, true);
    REQUIRE_MESSAGE(c, c.error().message);
    for (const auto& level : level_names()) CHECK(c->settings.levels.at(level) == builtin_level(level));
}

TEST_CASE("a level key is read from its environment variable") {
    ::setenv("CLUSTERCTL_LEVELS_BIG_GPUS", "6", 1);
    TempDir dir;
    auto c = load_config(dir.file("absent.toml"), {});
    ::unsetenv("CLUSTERCTL_LEVELS_BIG_GPUS");
    REQUIRE(c);
    CHECK(c->settings.levels.at("big").gpus == 6);
}
