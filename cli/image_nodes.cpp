// `image pull|ls|rm`: images in the nodes' own runtimes, through lib/ops.
#include <fmt/format.h>

#include "app.hpp"
#include "confirm.hpp"
#include "exit_codes.hpp"
#include "nodeset_option.hpp"
#include "ops/image_nodes.hpp"
#include "views/node_image_view.hpp"

namespace cc::cli {

namespace {

// Nodes whose listing failed are said on stderr: a table row has no room for why.
template <class T>
void note_failures(const Printer& p, const std::vector<NodeResult<T>>& results) {
    for (const auto& r : results)
        if (r.status != NodeStatus::ok) p.note(fmt::format("{}: [{}] {}", r.node, node_status_word(r.status, r.error_kind), r.error));
}

void add_ls(CLI::App& image, App& ctx) {
    auto nodeset = std::make_shared<std::string>("@all");
    auto* cmd = image.add_subcommand("ls", "images in the nodes' runtimes: repository, tag, id, size per node");
    add_nodeset_option(*cmd, "nodeset", *nodeset, "NODESET (default @all)");
    cmd->callback([&ctx, nodeset] {
        run_command(ctx, [&]() -> Result<int> {
            auto ops = ctx.ops();
            if (!ops) return std::unexpected(ops.error());
            auto nodes = list_node_images(**ops, *nodeset);
            if (!nodes) return std::unexpected(nodes.error());
            const Printer& p = ctx.printer();
            if (p.format == Format::json) {
                p.json(json_array(*nodes, node_images_fields()));
            } else {
                p.table(node_image_rows(*nodes), node_image_columns());
                note_failures(p, *nodes);
            }
            return fanout_exit_code(*nodes);
        });
    });
}

void add_pull(CLI::App& image, App& ctx) {
    auto req = std::make_shared<ImagePullRequest>();
    auto* cmd = image.add_subcommand("pull", "each node pulls REF from its registry itself (login from `registry login`)");
    cmd->add_option("ref", req->ref, "image reference, e.g. reg.lab:5000/team/cuda:12.4")->required();
    add_nodeset_option(*cmd, "--to", req->nodeset, "NODESET to pull on")->required();
    cmd->callback([&ctx, req] {
        run_command(ctx, [&]() -> Result<int> {
            auto ops = ctx.ops();
            if (!ops) return std::unexpected(ops.error());
            const CredentialStore store = CredentialStore::open_default();
            ImagePullRequest request = *req;
            request.credentials = &store;
            auto pulled = pull_on_nodes(**ops, request);
            if (!pulled) return std::unexpected(pulled.error());
            ctx.printer().list(*pulled, pull_outcome_columns());
            return fanout_exit_code(*pulled);
        });
    });
}

std::vector<std::string> removal_plan(const std::vector<NodeResult<ImageRemoval>>& plan) {
    std::vector<std::string> lines;
    for (const auto& r : plan)
        for (const auto& image : r.value.images)
            lines.push_back(fmt::format("{}: remove {} ({})", r.node, image_name(image), image.id.substr(7, 12)));
    return lines;
}

void add_rm(CLI::App& image, App& ctx) {
    struct Options {
        std::string ref;
        std::string nodeset;
        ConfirmRequest ask;
    };
    auto opts = std::make_shared<Options>();
    auto* cmd = image.add_subcommand("rm", "remove an image name from the nodes' runtimes (asks first)");
    cmd->add_option("ref", opts->ref, "image name (repo:tag, a short name) or id (12+ hex digits)")->required();
    add_nodeset_option(*cmd, "--from", opts->nodeset, "NODESET to remove it from")->required();
    cmd->add_flag("-y,--yes", opts->ask.yes, "do not ask");
    cmd->add_flag("--dry-run", opts->ask.dry_run, "show what would go on each node, remove nothing");
    cmd->callback([&ctx, opts] {
        run_command(ctx, [&]() -> Result<int> {
            auto ops = ctx.ops();
            if (!ops) return std::unexpected(ops.error());
            auto plan = plan_image_removal(**ops, opts->ref, opts->nodeset);
            if (!plan) return std::unexpected(plan.error());
            const Printer& p = ctx.printer();
            ConfirmRequest request = opts->ask;
            request.plan = removal_plan(*plan);
            std::vector<NodeResult<ImageRemoval>> results = std::move(*plan);
            if (!request.plan.empty()) {
                request.question = fmt::format("Remove {} image name(s) from the nodes?", request.plan.size());
                const Confirmation answer = confirm(p, request);
                if (answer != Confirmation::dry_run && answer != Confirmation::proceed)
                    return std::unexpected(not_confirmed(answer, "image rm"));
                if (answer == Confirmation::proceed) results = remove_planned_images(**ops, std::move(results));
            }
            p.list(results, removal_outcome_columns());
            return fanout_exit_code(results);
        });
    });
}

}  // namespace

void add_image_node_commands(CLI::App& image, App& ctx) {
    add_pull(image, ctx);
    add_ls(image, ctx);
    add_rm(image, ctx);
}

}  // namespace cc::cli
