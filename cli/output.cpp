#include "output.hpp"

#include <cstdio>

#include <fmt/format.h>

#include "core/terminal.hpp"
#include "exit_codes.hpp"

namespace cc::cli {

namespace {

void write_line(const std::string& text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
}

}  // namespace

Result<Format> parse_format(const std::string& name) {
    if (name == "table") return Format::table;
    if (name == "wide") return Format::wide;
    if (name == "json") return Format::json;
    return fail(ErrorKind::invalid_input,
                fmt::format("output format \"{}\" is not one of table, wide, json", terminal_safe(name)));
}

void Printer::json(const nlohmann::json& value) const {
    write_line(value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
}

void Printer::line(const std::string& raw) const { write_line(terminal_safe(raw, true)); }

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

void Printer::table(const Table& t) const {
    // table_lines escaped every cell; the colour codes added here must reach the terminal.
    auto paint_cell = [this](const std::string& text, Style style) { return paint(text, style); };
    for (const auto& text : table_lines(t, headers, paint_cell)) write_line(text);
}

int report_error(const Error& error) {
    std::fflush(stdout);
    std::fprintf(stderr, "clusterctl: error: %s\n", terminal_safe(error.message).c_str());
    return exit_code_for(error.kind);
}

}  // namespace cc::cli
