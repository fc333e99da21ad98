#include "core/build_info.hpp"

#include <libssh2.h>
#include <openssl/crypto.h>
#include <sqlite3.h>

// Set on this one file by lib/CMakeLists.txt, so a new commit recompiles only it.
#ifndef CLUSTERCTL_GIT_COMMIT
#define CLUSTERCTL_GIT_COMMIT "unknown"
#endif
#ifndef CLUSTERCTL_BUILD_TYPE
#define CLUSTERCTL_BUILD_TYPE "unknown"
#endif
#ifndef CLUSTERCTL_SANITIZERS
#define CLUSTERCTL_SANITIZERS ""
#endif

namespace cc {

namespace {

std::vector<std::string> split_commas(std::string_view text) {
    std::vector<std::string> items;
    while (!text.empty()) {
        auto comma = text.find(',');
        items.emplace_back(text.substr(0, comma));
        text.remove_prefix(comma == std::string_view::npos ? text.size() : comma + 1);
    }
    return items;
}

}  // namespace

BuildInfo build_info() {
    // Run-time versions, not the headers': a distribution upgrade of a shared
    // library changes what runs without rebuilding clusterctl. libcurl is not
    // linked yet; when the registry client links it, curl_version_info() goes here.
    return BuildInfo{
        .version = CLUSTERCTL_VERSION,
        .commit = CLUSTERCTL_GIT_COMMIT,
        .build_type = CLUSTERCTL_BUILD_TYPE,
        .sanitizers = split_commas(CLUSTERCTL_SANITIZERS),
        .libraries = {{"libssh2", libssh2_version(0)},
                      {"sqlite", sqlite3_libversion()},
                      {"openssl", OpenSSL_version(OPENSSL_VERSION_STRING)}},
    };
}

}  // namespace cc
