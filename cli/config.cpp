// `clusterctl config show`: every key, its effective value and where it came from.
#include <fmt/format.h>

#include "app.hpp"
#include "exit_codes.hpp"
#include "views/run_view.hpp"

namespace cc::cli {

void add_config_commands(CLI::App& app, App& ctx) {
    auto* group = app.add_subcommand("config", "inspect configuration");
    group->require_subcommand(1);
    auto* show = group->add_subcommand("show", "print effective settings and their sources");
    show->callback([&ctx] {
        run_command(ctx, [&]() -> Result<int> {
            auto config = ctx.config();
            if (!config) return std::unexpected(config.error());
            const Printer& p = ctx.printer();
            if (p.format == Format::json) {
                p.json({{"path", (*config)->path},
                        {"file_found", (*config)->file_found},
                        {"keys", json_array(config_rows(**config), config_columns())}});
                return kExitOk;
            }
            // The file line is a header too: --no-headers leaves only the rows.
            if (p.headers)
                p.line(fmt::format("# {} ({})", (*config)->path, (*config)->file_found ? "read" : "not found, defaults"));
            p.table(config_rows(**config), config_columns());
            return kExitOk;
        });
    });
}

}  // namespace cc::cli
