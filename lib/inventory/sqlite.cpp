#include "inventory/sqlite.hpp"

#include <sqlite3.h>

#include <fmt/format.h>

namespace cc::sql {

Database::Database(Database&& other) noexcept
    : db_(other.db_), path_(std::move(other.path_)), prepared_(other.prepared_) {
    other.db_ = nullptr;
}

Database& Database::operator=(Database&& other) noexcept {
    if (this != &other) {
        if (db_) sqlite3_close_v2(db_);
        db_ = other.db_;
        path_ = std::move(other.path_);
        prepared_ = other.prepared_;
        other.db_ = nullptr;
    }
    return *this;
}

Database::~Database() {
    if (db_) sqlite3_close_v2(db_);
}

Error Database::error(std::string_view what) const {
    int code = db_ ? sqlite3_errcode(db_) : SQLITE_ERROR;
    std::string detail = db_ ? sqlite3_errmsg(db_) : "out of memory";
    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
        return {ErrorKind::inventory,
                fmt::format("inventory \"{}\" is not a usable SQLite database ({}); restore it from a backup "
                            "or point --inventory elsewhere",
                            path_, detail)};
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        return {ErrorKind::inventory,
                fmt::format("inventory \"{}\" is locked by another clusterctl process ({})", path_, detail)};
    return {ErrorKind::inventory, fmt::format("inventory \"{}\": {}: {}", path_, what, detail)};
}

Result<Database> Database::open(const std::string& path, bool create) {
    Database db;
    db.path_ = path;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path.c_str(), &db.db_, flags, nullptr) != SQLITE_OK)
        return std::unexpected(db.error("open"));
    sqlite3_extended_result_codes(db.db_, 0);
    // Several clusterctl processes (cron, CI, an admin) may share one file.
    sqlite3_busy_timeout(db.db_, 10'000);
    // Rollback journal, not WAL: SQLite before 3.51.3 (Debian 12 ships 3.40)
    // can corrupt a WAL database when connections race a WAL reset
    // (sqlite.org/wal.html). Inventory writes are small and rare, so the
    // rollback journal's coarser locking costs nothing measurable here.
    if (auto r = db.exec("PRAGMA foreign_keys = ON; PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL;"); !r)
        return std::unexpected(r.error());
    return db;
}

Result<void> Database::exec(std::string_view sql) {
    std::string owned(sql);
    if (sqlite3_exec(db_, owned.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK)
        return std::unexpected(error("exec"));
    return {};
}

Result<Statement> Statement::prepare(Database& db, std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db.handle(), sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK)
        return std::unexpected(db.error("prepare"));
    ++db.prepared_;
    return Statement(db, stmt);
}

Statement::Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
    other.stmt_ = nullptr;
}

Statement::~Statement() {
    if (stmt_) sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
}

Statement& Statement::bind_null(int index) {
    sqlite3_bind_null(stmt_, index);
    return *this;
}

Result<bool> Statement::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return std::unexpected(db_->error("step"));
}

Result<void> Statement::run() {
    for (;;) {
        auto more = step();
        if (!more) return std::unexpected(more.error());
        if (!*more) return {};
    }
}

std::string Statement::text(int column) const {
    const unsigned char* value = sqlite3_column_text(stmt_, column);
    return value ? std::string(reinterpret_cast<const char*>(value),
                               static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
                 : std::string();
}

std::int64_t Statement::integer(int column) const { return sqlite3_column_int64(stmt_, column); }

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

Result<Transaction> Transaction::begin(Database& db) {
    if (auto r = db.exec("BEGIN IMMEDIATE"); !r) return std::unexpected(r.error());
    return Transaction(db);
}

Transaction::~Transaction() {
    if (db_) (void)db_->exec("ROLLBACK");
}

Result<void> Transaction::commit() {
    auto r = db_->exec("COMMIT");
    if (r) db_ = nullptr;
    return r;
}

}  // namespace cc::sql

namespace cc::sql {
int Database::changes() const { return sqlite3_changes(db_); }
}  // namespace cc::sql
