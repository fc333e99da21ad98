// The one output format of multi-part remote scripts, and its parser. A node's
// output may hold any bytes (file contents, process names, a hostile motd), so
// sections are framed by marker lines that carry a nonce the client picked at
// random for this one run: no byte the node had before the run can fake one.
//
//   <anything a login script printed>
//   @@<nonce> hostname
//   <body: any bytes>
//   @@<nonce> gpus
//   <body>
//   @@<nonce> .            (the end: without it the answer was cut short)
//
// Each marker line is preceded by a newline the section() function prints, and
// that newline is not part of the body before it, so a body keeps its exact
// bytes (an authorized_keys file without a final newline stays so).
#pragma once
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "ssh/transport.hpp"

namespace cc {

// 32 lowercase hex digits from the OS's random source.
std::string new_section_nonce();

// POSIX sh that defines `section NAME` (starts a section) and `sections_end`
// (the end marker) for `nonce`; a script starts with it.
std::string section_functions(std::string_view nonce);

struct SectionLimits {
    std::size_t max_bytes = 4 * 1024 * 1024;  // the whole answer
    std::size_t max_sections = 256;
};

class Sections {
public:
    // A section's body, or an error naming the missing section.
    Result<std::string_view> get(std::string_view name) const;
    // A section's body, or "" when the script did not print it.
    std::string_view value(std::string_view name) const;
    bool has(std::string_view name) const { return bodies_.find(name) != bodies_.end(); }

private:
    friend Result<Sections> parse_sections(std::string_view, std::string_view, const SectionLimits&);
    std::map<std::string, std::string, std::less<>> bodies_;
};

// Splits `output` at the marker lines of `nonce`. Refused: an answer over the
// limits, a section named twice, no end marker (cut short), a bad name.
Result<Sections> parse_sections(std::string_view output, std::string_view nonce, const SectionLimits& limits = {});

// Runs `command` holding stdout to limits.max_bytes (and stderr to 4 KiB):
// what is past the cap is read and dropped, and an over-long stdout is an
// error, never a truncated answer taken for a whole one.
Result<ExecResult> run_bounded(Connection& connection, const std::string& command, std::chrono::milliseconds timeout,
                               const SectionLimits& limits = {});
// The same with `input` as the command's stdin (then EOF).
Result<ExecResult> run_bounded(Connection& connection, const std::string& command, std::string_view input,
                               std::chrono::milliseconds timeout, const SectionLimits& limits = {});

}  // namespace cc
