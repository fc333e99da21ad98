// The one way a destructive command asks before it acts: it lists what it
// will do, asks on a terminal, refuses without one unless --yes was given.
#pragma once
#include <string>
#include <vector>

#include "output.hpp"

namespace cc::cli {

struct ConfirmRequest {
    std::vector<std::string> plan;  // one line per thing that will be done, shown on stderr
    std::string question;           // "Remove these 3 nodes?"
    bool yes = false;               // --yes: no question asked
    bool dry_run = false;           // --dry-run: show the plan, do nothing
};

enum class Confirmation {
    proceed,    // --yes, or the user answered yes
    dry_run,    // the plan was shown; nothing is to be done
    declined,   // the user answered no
    no_terminal // nobody to ask and no --yes
};

// Shows the plan and decides. Plan lines are escaped (they may hold text from nodes).
Confirmation confirm(const Printer& printer, const ConfirmRequest& request);

// The error for a confirmation that did not proceed (not for proceed or dry_run).
Error not_confirmed(Confirmation why, const std::string& what);

}  // namespace cc::cli
