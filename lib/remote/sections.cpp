#include "remote/sections.hpp"

#include <algorithm>
#include <random>

#include <fmt/format.h>

namespace cc {

namespace {

constexpr std::string_view kEndName = ".";

bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    });
}

}  // namespace

std::string new_section_nonce() {
    std::random_device random;
    std::string nonce;
    for (int i = 0; i < 4; ++i) nonce += fmt::format("{:08x}", static_cast<std::uint32_t>(random()));
    return nonce;
}

std::string section_functions(std::string_view nonce) {
    return fmt::format("section() {{ printf '\\n@@%s %s\\n' {0} \"$1\"; }}\n"
                       "sections_end() {{ printf '\\n@@%s .\\n' {0}; }}\n",
                       nonce);
}

Result<std::string_view> Sections::get(std::string_view name) const {
    auto found = bodies_.find(name);
    if (found == bodies_.end()) return fail(ErrorKind::remote, fmt::format("the answer has no \"{}\" section", name));
    return std::string_view(found->second);
}

std::string_view Sections::value(std::string_view name) const {
    auto found = bodies_.find(name);
    return found == bodies_.end() ? std::string_view{} : std::string_view(found->second);
}

Result<Sections> parse_sections(std::string_view output, std::string_view nonce, const SectionLimits& limits) {
    if (output.size() > limits.max_bytes)
        return fail(ErrorKind::remote,
                    fmt::format("the answer is {} bytes, over the limit of {} bytes", output.size(), limits.max_bytes));
    const std::string marker = fmt::format("@@{} ", nonce);
    // Where the next marker line starts (at the very beginning or after a newline), or npos.
    auto next_marker = [&](std::size_t from) {
        for (std::size_t at = output.find(marker, from); at != std::string_view::npos; at = output.find(marker, at + 1))
            if (at == 0 || output[at - 1] == '\n') return at;
        return std::string_view::npos;
    };
    Sections sections;
    std::size_t at = next_marker(0);
    if (at == std::string_view::npos)
        return fail(ErrorKind::remote, "the answer has no sections (is the login shell POSIX?)");
    while (at != std::string_view::npos) {
        std::size_t eol = output.find('\n', at);
        if (eol == std::string_view::npos) break;  // a marker line cut in half: no end marker follows
        std::string_view name = output.substr(at + marker.size(), eol - at - marker.size());
        if (name == kEndName) return sections;
        if (!valid_name(name)) return fail(ErrorKind::remote, fmt::format("the answer names a section \"{}\"", name));
        if (sections.has(name)) return fail(ErrorKind::remote, fmt::format("the answer has two \"{}\" sections", name));
        if (sections.bodies_.size() == limits.max_sections)
            return fail(ErrorKind::remote, fmt::format("the answer has more than {} sections", limits.max_sections));
        std::size_t next = next_marker(eol + 1);
        // The newline before the next marker was printed by section(), not by the body.
        std::size_t end = next == std::string_view::npos ? output.size() : next - 1;
        sections.bodies_.emplace(name, output.substr(eol + 1, end > eol ? end - eol - 1 : 0));
        at = next;
    }
    return fail(ErrorKind::remote, "the answer was cut short (no end marker)");
}

Result<ExecResult> run_bounded(Connection& connection, const std::string& command, std::chrono::milliseconds timeout,
                               const SectionLimits& limits) {
    return run_bounded(connection, command, std::string_view(), timeout, limits);
}

Result<ExecResult> run_bounded(Connection& connection, const std::string& command, std::string_view input,
                               std::chrono::milliseconds timeout, const SectionLimits& limits) {
    constexpr std::size_t kMaxErr = 4096;
    std::string out, err;
    bool too_long = false;
    auto ran = connection.exec(command, input, timeout, [&](int stream, std::string_view data) {
        std::string& into = stream == 0 ? out : err;
        const std::size_t cap = stream == 0 ? limits.max_bytes : kMaxErr;
        if (into.size() + data.size() > cap) too_long = too_long || stream == 0;
        into.append(data.substr(0, cap - std::min(cap, into.size())));
    });
    if (!ran) return std::unexpected(ran.error());
    if (too_long) return fail(ErrorKind::remote, fmt::format("the node sent more than {} bytes", limits.max_bytes));
    ran->out = std::move(out);
    ran->err = std::move(err);
    return ran;
}

}  // namespace cc
