// The process exit codes of DESIGN.md, and the one mapping from error kinds.
#pragma once
#include "core/error.hpp"

namespace cc::cli {

enum ExitCode : int {
    kExitOk = 0,           // success
    kExitError = 1,        // error: bad input, nothing changed
    kExitUsage = 2,        // command-line usage error
    kExitPartial = 3,      // some nodes failed, the rest done, every node reported
    kExitInterrupted = 130, // Ctrl-C
    kExitBrokenPipe = 141   // stdout closed under us (128 + SIGPIPE, as a shell pipeline reports it)
};

inline int exit_code_for(ErrorKind kind) {
    return kind == ErrorKind::interrupted ? kExitInterrupted : kExitError;
}

}  // namespace cc::cli
