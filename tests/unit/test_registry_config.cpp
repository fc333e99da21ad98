#include <doctest/doctest.h>

#include "config/config.hpp"
#include "temp_dir.hpp"

using namespace cc;

TEST_CASE("a [registry.\"HOST\"] table gives that registry its CA file and insecure flag") {
    TempDir tmp;
    auto path = tmp.write("config.toml", "[registry.\"reg.lab:5000\"]\nca_file = \"/etc/lab-ca.pem\"\n"
                                         "[registry.\"10.0.0.1:5000\"]\ninsecure = true\n");
    auto config = load_config(path, {});
    REQUIRE(config);
    const auto& registries = config->settings.registries;
    REQUIRE(registries.size() == 2);
    CHECK(registries.at("reg.lab:5000").ca_file == "/etc/lab-ca.pem");
    CHECK_FALSE(registries.at("reg.lab:5000").insecure);
    CHECK(registries.at("10.0.0.1:5000").insecure);
    bool shown = false;
    for (const auto& entry : config->entries)
        if (entry.key == "registry.\"reg.lab:5000\".ca_file" && entry.value == "/etc/lab-ca.pem") shown = true;
    CHECK(shown);
}

TEST_CASE("an unknown or mistyped key in a registry table is refused with its location") {
    TempDir tmp;
    auto unknown = load_config(tmp.write("a.toml", "[registry.\"reg.lab\"]\ncafile = \"x\"\n"), {});
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message == tmp.file("a.toml") + ":2:10: unknown key \"registry.\"reg.lab\".cafile\"");
    auto mistyped = load_config(tmp.write("b.toml", "[registry.\"reg.lab\"]\ninsecure = \"perhaps\"\n"), {});
    REQUIRE_FALSE(mistyped);
    CHECK(mistyped.error().kind == ErrorKind::config);
}
