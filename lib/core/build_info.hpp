// What this binary is: its version, the commit it was built from, how it was
// built, and the versions of the libraries it runs with (bug reports need them).
#pragma once
#include <string>
#include <vector>

namespace cc {

struct LibraryVersion {
    std::string name;     // "libssh2"
    std::string version;  // as the library reports it at run time
};

struct BuildInfo {
    std::string version;                  // "0.1.0"
    std::string commit;                   // short git hash at configure time, "unknown" outside a checkout
    std::string build_type;               // CMAKE_BUILD_TYPE: "RelWithDebInfo"
    std::vector<std::string> sanitizers;  // {"address", "undefined"} in a CLUSTERCTL_SANITIZE build
    std::vector<LibraryVersion> libraries;
};

BuildInfo build_info();

}  // namespace cc
