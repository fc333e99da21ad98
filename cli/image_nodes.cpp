// `image pull|ls|rm`: images on nodes, through lib/ops.
#include "app.hpp"

namespace cc::cli {

void add_image_node_commands(CLI::App&, App&) {}

}  // namespace cc::cli
