// A table built from a column list, laid out as lines of text. Nothing here
// prints: cli/ paints and writes the lines.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "views/column.hpp"

namespace cc {

struct Table {
    std::vector<std::string> headers;
    std::vector<std::size_t> min_widths;
    std::vector<std::vector<std::string>> cells;  // as the getters gave them; escaped when laid out
    std::vector<std::vector<Style>> styles;
};

// The columns a table of this width shows: `wide` adds the wide-only ones.
template <class Row>
Table make_table(const std::vector<Row>& rows, const std::vector<Column<Row>>& columns, bool wide) {
    Table table;
    table.cells.resize(rows.size());
    table.styles.resize(rows.size());
    for (const auto& column : columns) {
        if (!column.header || (column.wide_only && !wide)) continue;
        table.headers.push_back(column.header);
        table.min_widths.push_back(column.min_width);
        for (std::size_t i = 0; i < rows.size(); ++i) {
            table.cells[i].push_back(cell_text(column, rows[i]));
            table.styles[i].push_back(column.style ? column.style(rows[i]) : Style::none);
        }
    }
    return table;
}

// Wraps a cell's text in colour (or not); gets the escaped text.
using Paint = std::function<std::string(const std::string& text, Style style)>;

// One line per row (the header row first unless `headers` is false): cells hold
// what nodes sent, so each is made terminal-safe (one line, no escapes); columns
// are two spaces apart, padded by display width; no line ends in spaces.
std::vector<std::string> table_lines(const Table& table, bool headers, const Paint& paint);

}  // namespace cc
