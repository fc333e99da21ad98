// `image …` (fetch, upload, inspect, tags, cache) and `registry …`: flags → lib/ops → printer.
#include "app.hpp"

namespace cc::cli {

void add_image_commands(CLI::App& app, App& ctx) {
    auto* image = app.add_subcommand("image", "container images: registries, archives and nodes");
    image->require_subcommand(1);
    add_image_node_commands(*image, ctx);
    add_image_push_command(*image, ctx);
}

void add_registry_commands(CLI::App&, App&) {}

}  // namespace cc::cli
