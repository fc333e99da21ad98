// One column of an output: its table header, its JSON key and the one getter
// both read, so `-o table`, `-o wide` and `-o json` cannot drift apart. A
// column list is the whole shape of an output; later exports reuse the lists.
#pragma once
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace cc {

// How a cell wants to be seen; cli/ turns it into colour on a terminal.
enum class Style { none, good, bad, dim };

template <class Row>
struct Column {
    const char* header = nullptr;    // nullptr: only in JSON
    const char* json_key = nullptr;  // nullptr: only in tables
    std::function<nlohmann::json(const Row&)> value = nullptr;
    // The table cell when it is not the value itself (units, several values in one cell).
    std::function<std::string(const Row&)> text = nullptr;
    std::function<Style(const Row&)> style = nullptr;
    bool wide_only = false;
    std::size_t min_width = 0;
};

// Missing values are null in JSON, never "".
inline nlohmann::json or_null(const std::string& text) {
    return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

template <class T>
nlohmann::json or_null(const std::optional<T>& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

// A value as a table cell: null is "-", a string is itself.
inline std::string cell_text(const nlohmann::json& value) {
    if (value.is_null()) return "-";
    if (value.is_string()) return value.get<std::string>();
    return value.dump();
}

template <class Row>
std::string cell_text(const Column<Row>& column, const Row& row) {
    return column.text ? column.text(row) : cell_text(column.value(row));
}

// The JSON object of one row: every keyed column but the ones named in `except`
// (a nested object leaves out what its parent already says).
template <class Row>
nlohmann::json json_object(const Row& row, const std::vector<Column<Row>>& columns,
                           std::initializer_list<std::string_view> except = {}) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& column : columns) {
        if (!column.json_key) continue;
        bool skipped = false;
        for (auto key : except) skipped = skipped || key == column.json_key;
        if (!skipped) out[column.json_key] = column.value(row);
    }
    return out;
}

template <class Row>
nlohmann::json json_array(const std::vector<Row>& rows, const std::vector<Column<Row>>& columns) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& row : rows) out.push_back(json_object(row, columns));
    return out;
}

}  // namespace cc
