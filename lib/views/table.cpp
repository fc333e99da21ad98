#include "views/table.hpp"

#include <algorithm>

#include "core/terminal.hpp"

namespace cc {

namespace {

// Display width of UTF-8 text: count code points, not bytes.
std::size_t display_width(const std::string& text) {
    std::size_t width = 0;
    for (unsigned char c : text)
        if ((c & 0xC0) != 0x80) ++width;
    return width;
}

}  // namespace

std::vector<std::string> table_lines(const Table& table, bool headers, const Paint& paint) {
    std::vector<std::vector<std::string>> cells = table.cells;
    for (auto& row : cells)
        for (auto& cell : row) cell = terminal_safe(cell);
    const std::size_t count = table.headers.size();
    std::vector<std::size_t> widths(count);
    for (std::size_t c = 0; c < count; ++c) {
        widths[c] = c < table.min_widths.size() ? table.min_widths[c] : 0;
        if (headers) widths[c] = std::max(widths[c], display_width(table.headers[c]));
    }
    for (const auto& row : cells)
        for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], display_width(row[c]));
    auto emit = [&](const std::vector<std::string>& row, const std::vector<Style>* styles) {
        // Trailing empty cells would only leave spaces at the end of the line.
        std::size_t last = row.size();
        while (last > 0 && row[last - 1].empty()) --last;
        std::string out;
        for (std::size_t c = 0; c < last; ++c) {
            out += paint(row[c], styles ? (*styles)[c] : Style::none);
            if (c + 1 < last) out += std::string(widths[c] - display_width(row[c]) + 2, ' ');
        }
        return out;
    };
    std::vector<std::string> lines;
    if (headers) lines.push_back(emit(table.headers, nullptr));
    for (std::size_t r = 0; r < cells.size(); ++r) lines.push_back(emit(cells[r], &table.styles[r]));
    return lines;
}

}  // namespace cc
