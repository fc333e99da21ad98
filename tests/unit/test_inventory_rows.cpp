// The one row-reading helper every inventory query goes through.
#include <doctest/doctest.h>

#include "inventory/rows.hpp"
#include "temp_dir.hpp"

using namespace cc;

namespace {

struct Inner {
    std::string tag;
};

struct Thing {
    std::string name;
    int size = -1;
    std::optional<std::string> note;
    Inner inner;
};

constexpr auto kThingRow = sql::row<Thing>(sql::column("name", &Thing::name), sql::column("size", &Thing::size),
                                           sql::column("note", &Thing::note),
                                           sql::column("tag", [](Thing& t) -> std::string& { return t.inner.tag; }));

sql::Database things(const TempDir& dir) {
    auto db = sql::Database::open(dir.file("rows.db"), true);
    REQUIRE(db);
    REQUIRE(db->exec("CREATE TABLE things (tag TEXT, note TEXT, size INTEGER, name TEXT)"));
    REQUIRE(sql::execute(*db, "INSERT INTO things (name, size, note, tag) VALUES (?1, ?2, ?3, ?4)", "b", 2, "two", "x"));
    REQUIRE(db->exec("INSERT INTO things (name, size, note, tag) VALUES ('a', 1, NULL, 'y')"));
    return std::move(*db);
}

}  // namespace

TEST_CASE("a row selects its columns by name and reads each into the member named beside it") {
    TempDir dir;
    auto db = things(dir);
    CHECK(kThingRow.select_list() == "name, size, note, tag");
    auto rows = sql::select_all(db, kThingRow, "FROM things ORDER BY name");
    REQUIRE(rows);
    REQUIRE(rows->size() == 2);
    CHECK((*rows)[0].name == "a");
    CHECK((*rows)[0].size == 1);
    CHECK_FALSE((*rows)[0].note);  // NULL
    CHECK((*rows)[0].inner.tag == "y");
    CHECK((*rows)[1].note == std::optional<std::string>("two"));
    CHECK((*rows)[1].inner.tag == "x");
}

TEST_CASE("parameters bind in order, and one-row and one-column reads say when there is nothing") {
    TempDir dir;
    auto db = things(dir);
    auto b = sql::select_one(db, kThingRow, "FROM things WHERE size = ?1 AND name = ?2", 2, std::string("b"));
    REQUIRE(b);
    REQUIRE(*b);
    CHECK((*b)->note == std::optional<std::string>("two"));
    auto none = sql::select_one(db, kThingRow, "FROM things WHERE name = ?1", "zzz");
    REQUIRE(none);
    CHECK_FALSE(*none);
    CHECK(*sql::select_values<std::string>(db, "SELECT name FROM things ORDER BY size DESC") ==
          std::vector<std::string>{"b", "a"});
    CHECK(sql::select_value<int>(db, "SELECT size FROM things WHERE name = ?1", "a")->value() == 1);
    CHECK(*sql::exists(db, "SELECT 1 FROM things WHERE name = ?1", "a"));
    CHECK_FALSE(*sql::exists(db, "SELECT 1 FROM things WHERE name = ?1", "c"));
}

TEST_CASE("a query the database refuses is an inventory error naming the file") {
    TempDir dir;
    auto db = things(dir);
    auto r = sql::select_all(db, kThingRow, "FROM no_such_table");
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::inventory);
    CHECK(r.error().message.find(dir.file("rows.db")) != std::string::npos);
}
