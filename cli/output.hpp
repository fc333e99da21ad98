// Printing: tables and JSON from one column list (lib/views), notes, and the
// one error printer.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "views/column.hpp"
#include "views/table.hpp"

namespace cc::cli {

enum class Format { table, wide, json };

// The one place `-o` values are known; the error names the bad value.
Result<Format> parse_format(const std::string& name);

struct Printer {
    Format format = Format::table;
    bool color = false;
    bool quiet = false;
    bool headers = true;  // --no-headers: tables without their header row

    void json(const nlohmann::json& value) const;
    void line(const std::string& text) const;       // stdout, control bytes escaped (newlines kept)
    void note(const std::string& text) const;       // stderr, silenced by -q
    std::string paint(const std::string& text, Style style) const;
    void table(const Table& table) const;

    // `-o table` and `-o wide` of a column list.
    template <class Row>
    void table(const std::vector<Row>& rows, const std::vector<Column<Row>>& columns) const {
        table(make_table(rows, columns, format == Format::wide));
    }

    // Every format of a column list: the table, or the JSON array of its rows.
    template <class Row>
    void list(const std::vector<Row>& rows, const std::vector<Column<Row>>& columns) const {
        if (format == Format::json) json(json_array(rows, columns));
        else table(rows, columns);
    }
};

// Prints `clusterctl: error: …` and returns the exit code for the error.
int report_error(const Error& error);

}  // namespace cc::cli
