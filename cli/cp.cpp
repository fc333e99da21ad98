// `clusterctl cp SRC NODESET:DST` and `clusterctl cp NODESET:SRC DIR/`.
#include <fmt/format.h>

#include "app.hpp"
#include "core/nodeset.hpp"
#include "core/units.hpp"
#include "exit_codes.hpp"
#include "ops/copy.hpp"
#include "views/run_view.hpp"

namespace cc::cli {

void add_cp_commands(CLI::App& app, App& ctx) {
    struct Options {
        std::string source, destination;
    };
    auto opts = std::make_shared<Options>();
    auto* cmd = app.add_subcommand("cp", "copy a file or directory to nodes, or a file from nodes into DIR/<node>/");
    cmd->add_option("source", opts->source, "LOCAL_PATH or NODESET:PATH")->required();
    cmd->add_option("destination", opts->destination, "NODESET:PATH or LOCAL_DIR")->required();
    cmd->callback([&ctx, opts] {
        run_command(ctx, [&]() -> Result<int> {
            auto ops = ctx.ops();
            if (!ops) return std::unexpected(ops.error());
            CopyRequest request{parse_copy_spec(opts->source), parse_copy_spec(opts->destination)};
            auto outcomes = copy_files(**ops, request);
            if (!outcomes) return std::unexpected(outcomes.error());
            const Printer& p = ctx.printer();
            std::size_t failed = 0;
            for (const auto& o : *outcomes) failed += o.status == NodeStatus::ok ? 0 : 1;
            p.list(*outcomes, copy_outcome_columns());
            p.note(fmt::format("{} copied, {} failed", outcomes->size() - failed, failed));
            return fanout_exit_code(*outcomes);
        });
    });
}

}  // namespace cc::cli
