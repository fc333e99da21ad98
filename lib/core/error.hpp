// Errors are values until the cli/ boundary: every lib/ function that can
// fail returns std::expected<T, Error>; cli/ maps Error::kind to an exit code.
#pragma once
#include <expected>
#include <string>
#include <utility>

namespace cc {

enum class ErrorKind {
    invalid_input,   // bad argument or value supplied by the user
    not_found,       // named object is not in the inventory
    conflict,        // object exists already / is in use
    io,              // local file system
    inventory,       // SQLite
    config,          // configuration file
    unreachable,     // TCP connect failed
    timeout,         // a deadline passed
    auth,            // SSH authentication failed
    host_key,        // host key unknown or changed
    remote,          // the remote side failed (command, protocol)
    interrupted,     // Ctrl-C
};

struct Error {
    ErrorKind kind;
    std::string message;
};

template <class T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(ErrorKind kind, std::string message) {
    return std::unexpected<Error>(Error{kind, std::move(message)});
}

const char* error_kind_name(ErrorKind kind);

}  // namespace cc
