// `clusterctl version` and `--version`.
#pragma once
#include <string>

#include <CLI/CLI.hpp>

#include "app.hpp"

namespace cc::cli {

// "clusterctl 0.1.0 (commit abc1234)": what `--version` and `version` print.
std::string version_line();

void add_version_command(CLI::App& app, App& ctx);

}  // namespace cc::cli
