// The process exit codes of DESIGN.md (lib/fanout/exit_code.hpp), and the
// one mapping from error kinds.
#pragma once
#include "core/error.hpp"
#include "fanout/exit_code.hpp"

namespace cc::cli {

using cc::ExitCode;
using cc::kExitOk;
using cc::kExitError;
using cc::kExitUsage;
using cc::kExitPartial;
using cc::kExitInterrupted;
using cc::kExitBrokenPipe;

inline int exit_code_for(ErrorKind kind) {
    return kind == ErrorKind::interrupted ? kExitInterrupted : kExitError;
}

}  // namespace cc::cli
