#include <doctest/doctest.h>

#include "inventory/inventory.hpp"
#include "inventory/schema.hpp"
#include "temp_dir.hpp"

using namespace cc;

namespace {

std::int64_t scalar(sql::Database& db, const std::string& query) {
    auto stmt = sql::Statement::prepare(db, query);
    REQUIRE(stmt);
    auto row = stmt->step();
    REQUIRE(row);
    REQUIRE(*row);
    return stmt->integer(0);
}

// A version 2 inventory with node n1 and instance train-1 on it, as clusterctl 2 left it.
std::string version_2_inventory(const TempDir& dir) {
    std::string path = dir.file("inv.db");
    auto db = sql::Database::open(path, true);
    REQUIRE(db);
    REQUIRE(migrate_inventory(*db, 2));
    REQUIRE(db->exec("INSERT INTO nodes (name, host, port, user, host_key_type, host_key, host_key_fingerprint) "
                     "VALUES ('n1', '10.0.0.7', 22, 'root', 'ssh-ed25519', 'AAAA', 'SHA256:old');"
                     "INSERT INTO instances (name, node, image, owner) VALUES ('train-1', 'n1', 'busybox', 'alice')"));
    return path;
}

}  // namespace

TEST_CASE("a version 2 inventory is migrated to version 3 keeping its nodes and instances") {
    TempDir dir;
    std::string path = version_2_inventory(dir);
    {
        auto inv = Inventory::open(path);
        REQUIRE(inv);
        auto instances = inv->instances().list();
        REQUIRE(instances);
        REQUIRE(instances->size() == 1);
        CHECK((*instances)[0].owner == "alice");
        CHECK((*instances)[0].state == "created");  // it was running before v3 knew of 'creating'
    }
    auto db = sql::Database::open(path, false);
    REQUIRE(db);
    CHECK(scalar(*db, "PRAGMA user_version") == kInventorySchemaVersion);  // 3, then any later migrations
    CHECK(scalar(*db, "SELECT cordoned FROM nodes WHERE name = 'n1'") == 0);
    CHECK(scalar(*db, "SELECT gpus + cpus_milli + memory_bytes + storage_bytes FROM instances") == 0);
    CHECK(scalar(*db, "SELECT count(*) FROM users") == 0);
}

TEST_CASE("a migration to version 3 that fails part way leaves the version 2 inventory as it was") {
    TempDir dir;
    std::string path = version_2_inventory(dir);
    {
        // Someone's own table in the way of the migration's third statement.
        auto db = sql::Database::open(path, false);
        REQUIRE(db);
        REQUIRE(db->exec("CREATE TABLE instance_labels (x)"));
    }
    auto inv = Inventory::open(path);
    REQUIRE_FALSE(inv);
    CHECK(inv.error().message.find("instance_labels") != std::string::npos);

    auto db = sql::Database::open(path, false);
    REQUIRE(db);
    CHECK(scalar(*db, "PRAGMA user_version") == 2);
    CHECK(scalar(*db, "SELECT count(*) FROM sqlite_schema WHERE name IN ('users', 'user_volumes')") == 0);
    CHECK(scalar(*db, "SELECT count(*) FROM pragma_table_info('nodes') WHERE name = 'cordoned'") == 0);
}

TEST_CASE("a GPU or a host port is held by one instance per node, and freed with it") {
    TempDir dir;
    auto inv = Inventory::open(dir.file("inv.db"));
    REQUIRE(inv);
    auto db = sql::Database::open(inv->path(), false);
    REQUIRE(db);
    REQUIRE(db->exec("INSERT INTO nodes (name, host, port, user, host_key_type, host_key, host_key_fingerprint) "
                     "VALUES ('n1', 'h', 22, 'root', 't', 'k', 'f1'), ('n2', 'h', 23, 'root', 't', 'k', 'f2');"
                     "INSERT INTO instances (name, node, image) VALUES ('a', 'n1', 'i'), ('b', 'n1', 'i'), "
                     "('c', 'n2', 'i');"
                     "INSERT INTO instance_gpus VALUES ('a', 'n1', 'GPU-0');"
                     "INSERT INTO instance_ports (instance, node, host_port, container_port, proto) VALUES ('a', 'n1', 30000, 80, 'tcp')"));
    CHECK_FALSE(db->exec("INSERT INTO instance_gpus VALUES ('b', 'n1', 'GPU-0')"));
    CHECK_FALSE(db->exec("INSERT INTO instance_ports (instance, node, host_port, container_port, proto) VALUES ('b', 'n1', 30000, 22, 'tcp')"));
    CHECK(db->exec("INSERT INTO instance_ports (instance, node, host_port, container_port, proto) VALUES ('b', 'n1', 30000, 53, 'udp')"));
    // Another node's GPU of the same UUID is another GPU; but a row must name its instance's own node.
    CHECK(db->exec("INSERT INTO instance_gpus VALUES ('c', 'n2', 'GPU-0')"));
    CHECK_FALSE(db->exec("INSERT INTO instance_gpus VALUES ('c', 'n1', 'GPU-1')"));

    REQUIRE(db->exec("DELETE FROM instances WHERE name = 'a'"));
    CHECK(scalar(*db, "SELECT count(*) FROM instance_gpus WHERE node = 'n1'") == 0);
    CHECK(db->exec("INSERT INTO instance_gpus VALUES ('b', 'n1', 'GPU-0')"));
}
