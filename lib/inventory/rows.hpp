// The one way an inventory query reads its rows. A Row<T> names each column
// once, beside the member of T it fills, so a SELECT list and the code that
// reads it cannot drift apart and no query counts column indexes by hand.
// Parameters bind to ?1, ?2, … in the order given.
#pragma once
#include <concepts>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "core/error.hpp"
#include "inventory/sqlite.hpp"

namespace cc::sql {

template <class T>
std::unexpected<Error> pass(const Result<T>& r) {
    return std::unexpected(r.error());
}

template <class V>
inline constexpr bool is_optional_v = false;
template <class V>
inline constexpr bool is_optional_v<std::optional<V>> = true;

// Column `i` of the current row as a V: text, an integer, or an optional (NULL → nullopt) of either.
template <class V>
V read_value(const Statement& row, int i) {
    if constexpr (std::is_same_v<V, std::string>) return row.text(i);
    else if constexpr (std::is_same_v<V, bool>) return row.integer(i) != 0;
    else if constexpr (std::is_integral_v<V>) return static_cast<V>(row.integer(i));
    else if constexpr (is_optional_v<V>)
        return row.is_null(i) ? V{} : V{read_value<typename V::value_type>(row, i)};
    else static_assert(!sizeof(V), "no SQLite reading for this type");
}

// A column and where its value goes: a data member pointer, or a callable
// returning a reference into T (for a nested member such as host_key.type).
template <class Get>
struct Column {
    std::string_view name;
    Get get;
};

template <class Get>
constexpr Column<Get> column(std::string_view name, Get get) {
    return {name, get};
}

template <class T, class... Gets>
class Row {
public:
    constexpr explicit Row(Column<Gets>... columns) : columns_(columns...) {}

    std::string select_list() const {
        std::string out;
        std::apply([&](const auto&... c) { ((out += (out.empty() ? "" : ", "), out += c.name), ...); }, columns_);
        return out;
    }

    T read(const Statement& row) const {
        T value{};
        int i = 0;
        std::apply([&](const auto&... c) { (read_into(row, i++, std::invoke(c.get, value)), ...); }, columns_);
        return value;
    }

private:
    template <class Field>
    static void read_into(const Statement& row, int i, Field& field) {
        field = read_value<Field>(row, i);
    }
    std::tuple<Column<Gets>...> columns_;
};

template <class T, class... Gets>
constexpr Row<T, Gets...> row(Column<Gets>... columns) {
    return Row<T, Gets...>(columns...);
}

template <class... Args>
Result<Statement> prepare(Database& db, std::string_view sql, const Args&... args) {
    auto stmt = Statement::prepare(db, sql);
    if (!stmt) return stmt;
    [[maybe_unused]] int i = 0;
    [[maybe_unused]] auto bind_one = [&](const auto& arg) {
        if constexpr (std::is_integral_v<std::decay_t<decltype(arg)>>) stmt->bind(++i, static_cast<std::int64_t>(arg));
        else stmt->bind(++i, std::string_view(arg));
    };
    (bind_one(args), ...);
    return stmt;
}

// Steps to the end, reading each row with `read(stmt)`.
template <class Read>
auto collect(Statement& stmt, Read read) -> Result<std::vector<decltype(read(stmt))>> {
    std::vector<decltype(read(stmt))> out;
    for (;;) {
        auto more = stmt.step();
        if (!more) return pass(more);
        if (!*more) return out;
        out.push_back(read(stmt));
    }
}

// "SELECT <row's columns> <rest>": every row as a T.
template <class T, class... Gets, class... Args>
Result<std::vector<T>> select_all(Database& db, const Row<T, Gets...>& row, std::string_view rest, const Args&... args) {
    auto stmt = prepare(db, "SELECT " + row.select_list() + " " + std::string(rest), args...);
    if (!stmt) return pass(stmt);
    return collect(*stmt, [&](const Statement& s) { return row.read(s); });
}

// The first row as a T, or nullopt when there is none.
template <class T, class... Gets, class... Args>
Result<std::optional<T>> select_one(Database& db, const Row<T, Gets...>& row, std::string_view rest,
                                    const Args&... args) {
    auto stmt = prepare(db, "SELECT " + row.select_list() + " " + std::string(rest), args...);
    if (!stmt) return pass(stmt);
    auto more = stmt->step();
    if (!more) return pass(more);
    if (!*more) return std::optional<T>{};
    return std::optional<T>{row.read(*stmt)};
}

// A one-column query (names, a count, an existence check): every row's first column as a V.
template <class V, class... Args>
Result<std::vector<V>> select_values(Database& db, std::string_view sql, const Args&... args) {
    auto stmt = prepare(db, sql, args...);
    if (!stmt) return pass(stmt);
    return collect(*stmt, [](const Statement& s) { return read_value<V>(s, 0); });
}

template <class V, class... Args>
Result<std::optional<V>> select_value(Database& db, std::string_view sql, const Args&... args) {
    auto stmt = prepare(db, sql, args...);
    if (!stmt) return pass(stmt);
    auto more = stmt->step();
    if (!more) return pass(more);
    if (!*more) return std::optional<V>{};
    return std::optional<V>{read_value<V>(*stmt, 0)};
}

// Whether the query returns a row at all.
template <class... Args>
Result<bool> exists(Database& db, std::string_view sql, const Args&... args) {
    auto stmt = prepare(db, sql, args...);
    if (!stmt) return pass(stmt);
    return stmt->step();
}

// A statement that returns no rows (INSERT, UPDATE, DELETE).
template <class... Args>
Result<void> execute(Database& db, std::string_view sql, const Args&... args) {
    auto stmt = prepare(db, sql, args...);
    if (!stmt) return pass(stmt);
    return stmt->run();
}

}  // namespace cc::sql
