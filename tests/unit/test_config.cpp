#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>

#include "config/config.hpp"
#include "temp_dir.hpp"

using namespace cc;

namespace {
std::string value_of(const Config& c, const std::string& key) {
    for (const auto& e : c.entries)
        if (e.key == key) return e.value;
    return "?";
}
}  // namespace

TEST_CASE("a missing file gives the defaults") {
    auto c = load_config("/nonexistent/clusterctl.toml", {});
    REQUIRE(c);
    CHECK_FALSE(c->file_found);
    CHECK(c->settings.fanout == 64);
    CHECK(c->settings.ssh_user == "root");
    CHECK(c->entries.size() == config_keys().size());
}

TEST_CASE("file values are typed and flags override them") {
    TempDir dir;
    auto path = dir.write("c.toml",
                          "fanout = 12\n[ssh]\nidentity_files = [\"/k1\", \"/k2\"]\nconnect_timeout = \"2.5s\"\n"
                          "host_key_policy = \"accept-new\"\n[check]\nmin_disk_free = \"10G\"\n");
    auto c = load_config(path, {{"fanout", "3"}});
    REQUIRE(c);
    CHECK(c->settings.fanout == 3);
    CHECK(c->settings.identity_files == std::vector<std::string>{"/k1", "/k2"});
    CHECK(c->settings.connect_timeout.count() == 2500);
    CHECK(c->settings.host_key_policy == HostKeyPolicy::accept_new);
    CHECK(c->settings.min_disk_free == 10ull << 30);
    CHECK(value_of(*c, "ssh.identity_files") == "/k1:/k2");
}

TEST_CASE("syntax errors carry path, line and column") {
    TempDir dir;
    auto path = dir.write("c.toml", "[ssh\nuser = 1\n");
    auto c = load_config(path, {});
    REQUIRE_FALSE(c);
    CHECK(c.error().kind == ErrorKind::config);
    CHECK(c.error().message.starts_with(path + ":1:"));
}

TEST_CASE("wrong types and unknown keys are refused with their line") {
    TempDir dir;
    auto c = load_config(dir.write("a.toml", "\n[ssh]\nuser = [1]\n"), {});
    REQUIRE_FALSE(c);
    CHECK(c.error().message.find(":3:") != std::string::npos);
    auto d = load_config(dir.write("b.toml", "colour = true\n"), {});
    REQUIRE_FALSE(d);
    CHECK(d.error().message.find("\"colour\"") != std::string::npos);
}

TEST_CASE("a bad flag value is an input error naming the value") {
    auto c = load_config("/nonexistent", {{"ssh.connect_timeout", "-3s"}});
    REQUIRE_FALSE(c);
    CHECK(c.error().kind == ErrorKind::invalid_input);
    CHECK(c.error().message.find("\"-3s\"") != std::string::npos);
}

TEST_CASE("environment beats the file") {
    TempDir dir;
    auto path = dir.write("c.toml", "[ssh]\nuser = \"filer\"\n");
    ::setenv("CLUSTERCTL_SSH_USER", "enver", 1);
    auto c = load_config(path, {});
    ::unsetenv("CLUSTERCTL_SSH_USER");
    REQUIRE(c);
    CHECK(c->settings.ssh_user == "enver");
    auto entry = std::ranges::find(c->entries, std::string("ssh.user"), &ConfigEntry::key);
    REQUIRE(entry != c->entries.end());
    CHECK(entry->source == ConfigSource::env);
}
