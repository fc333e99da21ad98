#include "version.hpp"

#include <fmt/format.h>

#include "core/build_info.hpp"
#include "core/strings.hpp"
#include "exit_codes.hpp"

namespace cc::cli {

std::string version_line() {
    auto info = build_info();
    return fmt::format("clusterctl {} (commit {})", info.version, info.commit);
}

void add_version_command(CLI::App& app, App& ctx) {
    auto* cmd = app.add_subcommand("version", "print the version, the commit and the libraries in use");
    cmd->callback([&ctx] {
        run_command(ctx, [&]() -> Result<int> {
            auto info = build_info();
            const Printer& p = ctx.printer();
            if (p.format == Format::json) {
                nlohmann::json libraries = nlohmann::json::object();
                for (const auto& library : info.libraries) libraries[library.name] = library.version;
                p.json({{"version", info.version},
                        {"commit", info.commit},
                        {"build_type", info.build_type},
                        {"sanitizers", info.sanitizers},
                        {"libraries", libraries}});
                return kExitOk;
            }
            p.line(version_line());
            if (p.format == Format::wide) {
                auto sanitizers = info.sanitizers.empty() ? "" : fmt::format(" (sanitizers: {})", join(info.sanitizers, ","));
                p.line(fmt::format("build {}{}", info.build_type, sanitizers));
                for (const auto& library : info.libraries) p.line(fmt::format("{} {}", library.name, library.version));
            }
            return kExitOk;
        });
    });
}

}  // namespace cc::cli
