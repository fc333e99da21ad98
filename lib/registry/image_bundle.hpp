// One platform's image with every blob in the local cache: what `image push`
// serves to nodes, `image fetch` writes to an archive and `image upload` sends.
#pragma once
#include <string>

#include "registry/manifest.hpp"

namespace cc {

struct ImageBundle {
    std::string name;        // repository:tag it gets on nodes ("team/cuda:12.4")
    RawManifest manifest;    // bytes as served (digest of these bytes)
    ImageManifest parsed;    // its config and layers, all in the cache
    std::string config;      // the config blob's bytes (small)
};

}  // namespace cc
