// Thin RAII wrapper over the SQLite C API: errors become values naming the
// inventory file, statements finalize themselves, transactions roll back
// unless committed.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace cc::sql {

class Database {
public:
    Database() = default;
    Database(Database&& other) noexcept;
    Database& operator=(Database&& other) noexcept;
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    ~Database();

    // Opens (creating when `create`) with foreign keys, busy timeout and the journal mode set.
    static Result<Database> open(const std::string& path, bool create);
    Result<void> exec(std::string_view sql);
    Error error(std::string_view what) const;  // the last SQLite error, as an Error value
    sqlite3* handle() const { return db_; }
    int changes() const;  // rows changed by the last statement
    const std::string& path() const { return path_; }
    // Statements prepared so far: what a listing costs, for the test that keeps it independent of N.
    std::uint64_t statements_prepared() const { return prepared_; }

private:
    friend class Statement;
    sqlite3* db_ = nullptr;
    std::string path_;
    std::uint64_t prepared_ = 0;
};

class Statement {
public:
    static Result<Statement> prepare(Database& db, std::string_view sql);
    Statement(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    ~Statement();

    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, std::int64_t value);
    Statement& bind_null(int index);
    // true while a row is available; false at the end.
    Result<bool> step();
    Result<void> run();  // step to completion, no rows expected

    std::string text(int column) const;
    std::int64_t integer(int column) const;
    bool is_null(int column) const;

private:
    Statement(Database& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
    Database* db_;
    sqlite3_stmt* stmt_;
};

// BEGIN IMMEDIATE: takes the write lock up front so two clusterctl processes
// never both read-then-write and deadlock; rolled back unless commit() ran.
class Transaction {
public:
    static Result<Transaction> begin(Database& db);
    Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
    Transaction(const Transaction&) = delete;
    ~Transaction();
    Result<void> commit();

private:
    explicit Transaction(Database& db) : db_(&db) {}
    Database* db_;
};

}  // namespace cc::sql
