// What a user who typed a wrong command line is told, and `clusterctl help`.
#pragma once
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "app.hpp"

namespace cc::cli {

// `clusterctl help [CMD…]` prints that command's help (the command list without CMD).
void add_help_command(CLI::App& app, App& ctx);

// Reports a command line CLI11 refused and returns the exit code: an unknown
// command is named with the closest existing one; a group without its
// subcommand (a bare `clusterctl`, `clusterctl node`) prints the group's help
// on stdout and exits 2, as git does; `node help` prints node's help and exits
// 0; an option after a remote command given without `--` gets the corrected
// command line. `args` is argv without the program name.
int report_usage_error(CLI::App& app, const CLI::ParseError& error, const std::vector<std::string>& args);

}  // namespace cc::cli
