#include <doctest/doctest.h>

#include "inventory/inventory.hpp"
#include "inventory/schema.hpp"
#include "sample_node.hpp"
#include "temp_dir.hpp"

using namespace cc;

namespace {

KeyRecord key_named(const std::string& name, const std::string& fingerprint) {
    return {name, "ssh-ed25519", "AAAAC3NzaC1lZDI1NTE5" + name, fingerprint, name + "@laptop", "alice", ""};
}

KeyPlacement placed(const std::string& key, const std::string& node, const std::string& user,
                    const std::string& options = "", const std::string& pushed_at = "2026-01-01T00:00:00Z") {
    return {key, node, user, options, pushed_at};
}

// An inventory with nodes n1, n2 and keys alice (SHA256:a), bob (SHA256:b).
Inventory seeded(const TempDir& dir) {
    auto inv = Inventory::open(dir.file("inv.db"));
    REQUIRE(inv);
    REQUIRE(inv->nodes().add(sample_node("n1")));
    REQUIRE(inv->nodes().add(sample_node("n2")));
    REQUIRE(inv->keys().add(key_named("alice", "SHA256:a")));
    REQUIRE(inv->keys().add(key_named("bob", "SHA256:b")));
    return std::move(*inv);
}

std::vector<std::string> account_strings(Inventory& inv) {
    auto accounts = inv.keys().accounts();
    REQUIRE(accounts);
    std::vector<std::string> out;
    for (const auto& a : *accounts) out.push_back(a.node + "/" + a.remote_user);
    return out;
}

std::vector<std::string> placement_strings(Inventory& inv) {
    auto placements = inv.keys().placements();
    REQUIRE(placements);
    std::vector<std::string> out;
    for (const auto& p : *placements) out.push_back(p.key + "@" + p.node + "/" + p.remote_user);
    return out;
}

}  // namespace

TEST_CASE("keys are added, listed by name and read back") {
    TempDir dir;
    auto inv = Inventory::open(dir.file("inv.db"));
    REQUIRE(inv);
    REQUIRE(inv->keys().add(key_named("zed", "SHA256:z")));
    REQUIRE(inv->keys().add(key_named("alice", "SHA256:a")));

    auto keys = inv->keys().list();
    REQUIRE(keys);
    REQUIRE(keys->size() == 2);
    CHECK((*keys)[0].name == "alice");
    CHECK((*keys)[1].name == "zed");

    auto alice = inv->keys().get("alice");
    REQUIRE(alice);
    CHECK(alice->type == "ssh-ed25519");
    CHECK(alice->base64 == "AAAAC3NzaC1lZDI1NTE5alice");
    CHECK(alice->fingerprint == "SHA256:a");
    CHECK(alice->comment == "alice@laptop");
    CHECK(alice->owner == "alice");
    CHECK(alice->created_at.size() == 20);  // 2026-01-01T00:00:00Z

    auto by_fp = inv->keys().find_by_fingerprint("SHA256:z");
    REQUIRE(by_fp);
    REQUIRE(*by_fp);
    CHECK((*by_fp)->name == "zed");
    auto none = inv->keys().find_by_fingerprint("SHA256:nope");
    REQUIRE(none);
    CHECK_FALSE(*none);
}

TEST_CASE("a key name is taken once") {
    TempDir dir;
    auto inv = Inventory::open(dir.file("inv.db"));
    REQUIRE(inv->keys().add(key_named("alice", "SHA256:a")));
    auto r = inv->keys().add(key_named("alice", "SHA256:other"));
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::conflict);
    CHECK(r.error().message == "key \"alice\" exists already");
    CHECK(inv->keys().get("alice")->fingerprint == "SHA256:a");
}

TEST_CASE("the same key under another name is refused, naming the first") {
    TempDir dir;
    auto inv = Inventory::open(dir.file("inv.db"));
    REQUIRE(inv->keys().add(key_named("alice", "SHA256:a")));
    auto r = inv->keys().add(key_named("alice-again", "SHA256:a"));
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::conflict);
    CHECK(r.error().message == "this key (SHA256:a) is registered already as \"alice\"");
    CHECK(inv->keys().list()->size() == 1);
}

TEST_CASE("reading or removing a missing key is not_found") {
    TempDir dir;
    auto inv = Inventory::open(dir.file("inv.db"));
    auto got = inv->keys().get("ghost");
    REQUIRE_FALSE(got);
    CHECK(got.error().kind == ErrorKind::not_found);
    CHECK(got.error().message == "no key named \"ghost\" (see clusterctl key ls)");
    auto removed = inv->keys().remove("ghost");
    REQUIRE_FALSE(removed);
    CHECK(removed.error().kind == ErrorKind::not_found);
}

TEST_CASE("placements are upserted and record their account") {
    TempDir dir;
    auto inv = seeded(dir);
    REQUIRE(inv.keys().record_placements({placed("alice", "n1", "root"), placed("bob", "n1", "root"),
                                   placed("alice", "n2", "ubuntu", "", "")},
                                  {}));
    CHECK(placement_strings(inv) ==
          std::vector<std::string>{"alice@n1/root", "bob@n1/root", "alice@n2/ubuntu"});
    CHECK(account_strings(inv) == std::vector<std::string>{"n1/root", "n2/ubuntu"});
    CHECK(inv.keys().placements()->back().pushed_at.size() == 20);  // empty pushed_at means now

    // Pushing again updates options and time instead of adding a row.
    REQUIRE(inv.keys().record_placements({placed("alice", "n1", "root", "from=\"10.0.0.0/8\"", "2026-02-02T00:00:00Z")}, {}));
    auto placements = inv.keys().placements();
    REQUIRE(placements);
    REQUIRE(placements->size() == 3);
    const auto& first = placements->front();
    CHECK(first.key == "alice");
    CHECK(first.options == "from=\"10.0.0.0/8\"");
    CHECK(first.pushed_at == "2026-02-02T00:00:00Z");
    CHECK(account_strings(inv) == std::vector<std::string>{"n1/root", "n2/ubuntu"});
}

TEST_CASE("removing placements keeps the account after its last key") {
    TempDir dir;
    auto inv = seeded(dir);
    REQUIRE(inv.keys().record_placements({placed("alice", "n1", "root"), placed("bob", "n1", "root")}, {}));
    REQUIRE(inv.keys().record_placements({}, {placed("alice", "n1", "root")}));
    CHECK(placement_strings(inv) == std::vector<std::string>{"bob@n1/root"});
    REQUIRE(inv.keys().record_placements({}, {placed("bob", "n1", "root"), placed("bob", "n2", "nobody")}));
    CHECK(placement_strings(inv).empty());
    CHECK(account_strings(inv) == std::vector<std::string>{"n1/root"});
}

TEST_CASE("removing a key removes its placements, not the accounts") {
    TempDir dir;
    auto inv = seeded(dir);
    REQUIRE(inv.keys().record_placements({placed("alice", "n1", "root"), placed("alice", "n2", "root"),
                                   placed("bob", "n2", "root")},
                                  {}));
    REQUIRE(inv.keys().remove("alice"));
    CHECK_FALSE(inv.keys().get("alice"));
    CHECK(placement_strings(inv) == std::vector<std::string>{"bob@n2/root"});
    CHECK(account_strings(inv) == std::vector<std::string>{"n1/root", "n2/root"});
}

TEST_CASE("removing a node removes its accounts and placements") {
    TempDir dir;
    auto inv = seeded(dir);
    REQUIRE(inv.keys().record_placements({placed("alice", "n1", "root"), placed("alice", "n1", "ubuntu"),
                                   placed("bob", "n2", "root")},
                                  {}));
    REQUIRE(inv.nodes().remove({"n1"}, false));
    CHECK(placement_strings(inv) == std::vector<std::string>{"bob@n2/root"});
    CHECK(account_strings(inv) == std::vector<std::string>{"n2/root"});
    CHECK(inv.keys().list()->size() == 2);
}

TEST_CASE("an unknown key or node in record_placements changes nothing") {
    TempDir dir;
    auto inv = seeded(dir);
    REQUIRE(inv.keys().record_placements({placed("bob", "n2", "root")}, {}));

    SUBCASE("unknown key") {
        auto r = inv.keys().record_placements({placed("alice", "n1", "root"), placed("ghost", "n1", "root")},
                                       {placed("bob", "n2", "root")});
        REQUIRE_FALSE(r);
        CHECK(r.error().kind == ErrorKind::not_found);
        CHECK(r.error().message.find("no key named \"ghost\"") != std::string::npos);
    }
    SUBCASE("unknown node") {
        auto r = inv.keys().record_placements({placed("alice", "n1", "root"), placed("alice", "n9", "root")},
                                       {placed("bob", "n2", "root")});
        REQUIRE_FALSE(r);
        CHECK(r.error().kind == ErrorKind::not_found);
        CHECK(r.error().message.find("node \"n9\"") != std::string::npos);
    }
    CHECK(placement_strings(inv) == std::vector<std::string>{"bob@n2/root"});
    CHECK(account_strings(inv) == std::vector<std::string>{"n2/root"});
}

TEST_CASE("a version 1 inventory is migrated to version 2 keeping its nodes") {
    TempDir dir;
    std::string path = dir.file("inv.db");
    {
        auto db = sql::Database::open(path, true);
        REQUIRE(db);
        REQUIRE(migrate_inventory(*db, 1));
        REQUIRE(db->exec("INSERT INTO nodes (name, host, port, user, host_key_type, host_key, host_key_fingerprint) "
                         "VALUES ('old', '10.0.0.7', 22, 'root', 'ssh-ed25519', 'AAAA', 'SHA256:old')"));
        auto keys_table = sql::Statement::prepare(*db, "SELECT count(*) FROM sqlite_schema WHERE name = 'keys'");
        REQUIRE(keys_table);
        REQUIRE(*keys_table->step());
        CHECK(keys_table->integer(0) == 0);
    }
    {
        auto inv = Inventory::open(path);
        REQUIRE(inv);
        auto old = inv->nodes().get("old");
        REQUIRE(old);
        CHECK(old->host == "10.0.0.7");
        CHECK(old->host_key.fingerprint == "SHA256:old");
        REQUIRE(inv->keys().add(key_named("alice", "SHA256:a")));
        REQUIRE(inv->keys().record_placements({placed("alice", "old", "root")}, {}));
        CHECK(placement_strings(*inv) == std::vector<std::string>{"alice@old/root"});
    }
    auto db = sql::Database::open(path, false);
    REQUIRE(db);
    auto version = sql::Statement::prepare(*db, "PRAGMA user_version");
    REQUIRE(version);
    REQUIRE(*version->step());
    CHECK(version->integer(0) == kInventorySchemaVersion);
}
