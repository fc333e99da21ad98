// Every NODESET on the command line is declared here, so that it reaches the
// parser exactly as typed.
#pragma once
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace cc::cli {

// One NODESET (a positional or an option such as --to).
CLI::Option* add_nodeset_option(CLI::App& cmd, const std::string& name, std::string& target,
                                const std::string& description);

// Any number of NODESET positionals (the caller joins them with ',').
CLI::Option* add_nodeset_option(CLI::App& cmd, const std::string& name, std::vector<std::string>& target,
                                const std::string& description);

}  // namespace cc::cli
