#include "confirm.hpp"

#include <cstdio>
#include <iostream>
#include <unistd.h>

#include <fmt/format.h>

#include "core/terminal.hpp"

namespace cc::cli {

Confirmation confirm(const Printer& printer, const ConfirmRequest& request) {
    // The plan is shown even with -q: it is what the user is asked about.
    std::fflush(stdout);
    for (const auto& line : request.plan) std::fprintf(stderr, "%s\n", terminal_safe(line).c_str());
    if (request.dry_run) return Confirmation::dry_run;
    if (request.yes || request.plan.empty()) return Confirmation::proceed;
    // JSON output is for programs: they say --yes; a question would corrupt nothing but hang them.
    if (printer.format == Format::json || !::isatty(STDIN_FILENO) || !::isatty(STDERR_FILENO))
        return Confirmation::no_terminal;
    std::fprintf(stderr, "%s [y/N] ", request.question.c_str());
    std::fflush(stderr);
    std::string answer;
    if (!std::getline(std::cin, answer)) return Confirmation::declined;
    return answer == "y" || answer == "Y" || answer == "yes" ? Confirmation::proceed : Confirmation::declined;
}

Error not_confirmed(Confirmation why, const std::string& what) {
    if (why == Confirmation::declined) return {ErrorKind::invalid_input, fmt::format("{}: not confirmed, nothing changed", what)};
    return {ErrorKind::invalid_input,
            fmt::format("{}: refusing without --yes (no terminal to ask on); nothing changed, --dry-run shows the plan",
                        what)};
}

}  // namespace cc::cli
