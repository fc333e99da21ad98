#include "core/error.hpp"

namespace cc {

const char* error_kind_name(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::invalid_input: return "invalid-input";
        case ErrorKind::not_found: return "not-found";
        case ErrorKind::conflict: return "conflict";
        case ErrorKind::io: return "io";
        case ErrorKind::inventory: return "inventory";
        case ErrorKind::config: return "config";
        case ErrorKind::unreachable: return "unreachable";
        case ErrorKind::timeout: return "timeout";
        case ErrorKind::auth: return "auth";
        case ErrorKind::host_key: return "host-key";
        case ErrorKind::remote: return "remote";
        case ErrorKind::interrupted: return "interrupted";
    }
    return "unknown";
}

}  // namespace cc
