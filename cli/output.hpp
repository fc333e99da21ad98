// Printing: aligned tables from column rows, JSON, and the one error printer.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace cc::cli {

enum class Format { table, wide, json };

enum class Style { none, good, bad, dim };

template <class Row>
struct Column {
    const char* header;
    bool wide_only;
    std::function<std::string(const Row&)> text;
    std::function<Style(const Row&)> style = nullptr;
};

struct Printer {
    Format format = Format::table;
    bool color = false;
    bool quiet = false;

    void json(const nlohmann::json& value) const;
    void line(const std::string& text) const;       // stdout, control bytes escaped (newlines kept)
    void note(const std::string& text) const;       // stderr, silenced by -q
    std::string paint(const std::string& text, Style style) const;
    void table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& cells,
               const std::vector<std::vector<Style>>& styles) const;

    template <class Row>
    void rows(const std::vector<Row>& items, const std::vector<Column<Row>>& columns) const {
        std::vector<std::string> headers;
        std::vector<std::vector<std::string>> cells(items.size());
        std::vector<std::vector<Style>> styles(items.size());
        for (const auto& column : columns) {
            if (column.wide_only && format != Format::wide) continue;
            headers.push_back(column.header);
            for (std::size_t i = 0; i < items.size(); ++i) {
                cells[i].push_back(column.text(items[i]));
                styles[i].push_back(column.style ? column.style(items[i]) : Style::none);
            }
        }
        table(headers, cells, styles);
    }
};

// Prints `clusterctl: error: …` and returns the exit code for the error.
int report_error(const Error& error);

}  // namespace cc::cli
