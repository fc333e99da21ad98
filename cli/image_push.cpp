// `image push SOURCE --to NODESET`: serve the image to each node's runtime over SSH.
#include "app.hpp"

namespace cc::cli {

void add_image_push_command(CLI::App&, App&) {}

}  // namespace cc::cli
