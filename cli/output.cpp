#include "output.hpp"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "core/terminal.hpp"
#include "exit_codes.hpp"

namespace cc::cli {

namespace {

// Display width of UTF-8 text: count code points, not bytes.
std::size_t display_width(const std::string& text) {
    std::size_t width = 0;
    for (unsigned char c : text)
        if ((c & 0xC0) != 0x80) ++width;
    return width;
}

}  // namespace

void Printer::json(const nlohmann::json& value) const {
    std::string text = value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
}

void Printer::line(const std::string& raw) const {
    const std::string text = terminal_safe(raw, true);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
}

void Printer::note(const std::string& text) const {
    if (quiet) return;
    std::fflush(stdout);
    std::fprintf(stderr, "%s\n", terminal_safe(text, true).c_str());
}

std::string Printer::paint(const std::string& text, Style style) const {
    if (!color || style == Style::none) return text;
    const char* code = style == Style::good ? "32" : style == Style::bad ? "31" : "2";
    return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

void Printer::table(const std::vector<std::string>& headers, const std::vector<std::vector<std::string>>& raw_cells,
                    const std::vector<std::vector<Style>>& styles) const {
    // Cells hold what nodes sent (key comments, file names): never raw to a terminal.
    std::vector<std::vector<std::string>> cells = raw_cells;
    for (auto& row : cells)
        for (auto& cell : row) cell = terminal_safe(cell);
    std::vector<std::size_t> widths(headers.size());
    for (std::size_t c = 0; c < headers.size(); ++c) widths[c] = display_width(headers[c]);
    for (const auto& row : cells)
        for (std::size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], display_width(row[c]));
    auto emit = [&](const std::vector<std::string>& row, const std::vector<Style>* row_styles) {
        std::string out;
        for (std::size_t c = 0; c < row.size(); ++c) {
            bool last = c + 1 == row.size();
            std::string padding = last ? "" : std::string(widths[c] - display_width(row[c]) + 2, ' ');
            out += paint(row[c], row_styles ? (*row_styles)[c] : Style::none) + padding;
        }
        line(out);
    };
    emit(headers, nullptr);
    for (std::size_t r = 0; r < cells.size(); ++r) emit(cells[r], &styles[r]);
}

int report_error(const Error& error) {
    std::fflush(stdout);
    std::fprintf(stderr, "clusterctl: error: %s\n", terminal_safe(error.message).c_str());
    return exit_code_for(error.kind);
}

}  // namespace cc::cli
