// `clusterctl config show`: every key, its effective value and where it came from.
#include <fmt/format.h>

#include "app.hpp"
#include "exit_codes.hpp"

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
            const auto& keys = config_keys();
            if (p.format == Format::json) {
                nlohmann::json entries = nlohmann::json::array();
                for (std::size_t i = 0; i < keys.size(); ++i) {
                    const auto& e = (*config)->entries[i];
                    entries.push_back({{"key", e.key},
                                       {"value", e.value},
                                       {"source", config_source_name(e.source)},
                                       {"env", keys[i].env}});
                }
                p.json({{"path", (*config)->path}, {"file_found", (*config)->file_found}, {"keys", entries}});
                return kExitOk;
            }
            p.line(fmt::format("# {} ({})", (*config)->path, (*config)->file_found ? "read" : "not found, defaults"));
            std::vector<Column<ConfigEntry>> columns = {
                {"KEY", false, [](const ConfigEntry& e) { return e.key; }},
                {"VALUE", false, [](const ConfigEntry& e) { return e.value; }},
                {"SOURCE", false, [](const ConfigEntry& e) { return std::string(config_source_name(e.source)); }},
            };
            p.rows((*config)->entries, columns);
            return kExitOk;
        });
    });
}

}  // namespace cc::cli
