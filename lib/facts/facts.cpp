#include "facts/facts.hpp"

#include <charconv>

#include <fmt/format.h>

#include "gpu/node_gpu.hpp"
#include "remote/command.hpp"
#include "remote/sections.hpp"
#include "ssh/transport.hpp"

namespace cc {

namespace {

// POSIX sh only: nodes may have dash, busybox or bash. No user input is
// ever interpolated here; the script is a constant. Each fact is a section of
// its own, so a value may hold any byte (a PRETTY_NAME with a tab).
constexpr const char* kFactsScript = R"SH(export LC_ALL=C
f() { section "$1"; printf '%s' "$2"; }
f hostname "$(uname -n)"
f os "$( [ -r /etc/os-release ] && . /etc/os-release; echo "${PRETTY_NAME:-$(uname -s)}")"
f kernel "$(uname -r)"
f arch "$(uname -m)"
f cpus "$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc)"
f memory_kib "$(awk '/^MemTotal:/{print $2}' /proc/meminfo)"
f disk_total_kib "$(df -Pk / | awk 'NR==2{print $2}')"
f disk_free_kib "$(df -Pk / | awk 'NR==2{print $4}')"
rt=
if command -v podman >/dev/null 2>&1; then rt=podman; elif command -v docker >/dev/null 2>&1; then rt=docker; fi
f runtime "$rt"
if [ -n "$rt" ]; then f runtime_version "$($rt --version 2>/dev/null | sed -n 's/^.*[Vv]ersion \([^ ,]*\).*$/\1/p' | head -n 1)"; fi
)SH";

constexpr const char* kHealthScript = R"SH(if [ -n "$rt" ]; then
  if ! err=$($rt info 2>&1 >/dev/null); then f runtime_error "$(printf '%s' "${err:-$rt info failed}" | tail -n 1)"; fi
fi
)SH";

std::uint64_t to_u64(std::string_view text) {
    std::uint64_t value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

std::string trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
    return std::string(s);
}

}  // namespace

std::string facts_script(bool with_health, std::string_view nonce) {
    // The GPU part is lib/gpu's own query, read back by lib/gpu's parsers.
    return section_functions(nonce) + kFactsScript + (with_health ? kHealthScript : "") + gpu_inventory_script() +
           "sections_end\n";
}

Result<Facts> parse_facts(std::string_view output, std::string_view nonce) {
    auto s = parse_sections(output, nonce);
    if (!s) return fail(ErrorKind::remote, "facts: " + s.error().message);
    if (!s->has("hostname")) return fail(ErrorKind::remote, "facts: the answer has no hostname");
    Facts facts;
    auto text = [&](std::string_view name) { return trim(s->value(name)); };
    facts.hostname = text("hostname");
    facts.os = text("os");
    facts.kernel = text("kernel");
    facts.arch = text("arch");
    facts.cpus = static_cast<int>(to_u64(text("cpus")));
    facts.memory_bytes = to_u64(text("memory_kib")) * 1024;
    facts.disk_total_bytes = to_u64(text("disk_total_kib")) * 1024;
    facts.disk_free_bytes = to_u64(text("disk_free_kib")) * 1024;
    facts.runtime = text("runtime");
    facts.runtime_version = text("runtime_version");
    facts.runtime_error = text("runtime_error");
    auto gpus = parse_gpu_inventory(*s);
    if (!gpus) return fail(ErrorKind::remote, "facts: " + gpus.error().message);
    facts.nvidia_smi = gpus->vendor == "nvidia";
    facts.gpu_error = gpus->error;
    for (const GpuSample& gpu : gpus->gpus) {
        facts.gpus.push_back({gpu.index, gpu.uuid, gpu.name, gpu.memory_total_mib.value_or(0)});
        if (facts.gpu_driver.empty()) facts.gpu_driver = gpu.driver_version;
    }
    return facts;
}

Result<Facts> read_facts(Connection& connection, bool with_health, std::chrono::milliseconds deadline) {
    std::string nonce = new_section_nonce();
    auto ran = run_bounded(connection, with_remote_deadline(facts_script(with_health, nonce), deadline), deadline);
    if (!ran) return std::unexpected(ran.error());
    if (ran->exit_status != 0)
        return fail(ErrorKind::remote, fmt::format("facts script exited with status {}: {}", ran->exit_status,
                                                   ran->err.substr(0, ran->err.find('\n'))));
    return parse_facts(ran->out, nonce);
}

void to_json(nlohmann::json& j, const GpuInfo& gpu) {
    j = {{"index", gpu.index}, {"uuid", gpu.uuid}, {"name", gpu.name}, {"memory_total_mib", gpu.memory_total_mib}};
}

void from_json(const nlohmann::json& j, GpuInfo& gpu) {
    gpu.index = j.value("index", 0);
    gpu.uuid = j.value("uuid", "");
    gpu.name = j.value("name", "");
    gpu.memory_total_mib = j.value("memory_total_mib", std::uint64_t{0});
}

void to_json(nlohmann::json& j, const Facts& f) {
    j = {{"hostname", f.hostname},
         {"os", f.os},
         {"kernel", f.kernel},
         {"arch", f.arch},
         {"cpus", f.cpus},
         {"memory_bytes", f.memory_bytes},
         {"disk_free_bytes", f.disk_free_bytes},
         {"disk_total_bytes", f.disk_total_bytes},
         {"runtime", f.runtime},
         {"runtime_version", f.runtime_version},
         {"nvidia_smi", f.nvidia_smi},
         {"gpu_driver", f.gpu_driver},
         {"gpu_error", f.gpu_error},
         {"gpus", f.gpus},
         {"gathered_at", f.gathered_at}};
}

void from_json(const nlohmann::json& j, Facts& f) {
    f.hostname = j.value("hostname", "");
    f.os = j.value("os", "");
    f.kernel = j.value("kernel", "");
    f.arch = j.value("arch", "");
    f.cpus = j.value("cpus", 0);
    f.memory_bytes = j.value("memory_bytes", std::uint64_t{0});
    f.disk_free_bytes = j.value("disk_free_bytes", std::uint64_t{0});
    f.disk_total_bytes = j.value("disk_total_bytes", std::uint64_t{0});
    f.runtime = j.value("runtime", "");
    f.runtime_version = j.value("runtime_version", "");
    f.nvidia_smi = j.value("nvidia_smi", false);
    f.gpu_driver = j.value("gpu_driver", "");
    f.gpu_error = j.value("gpu_error", "");
    f.gpus = j.value("gpus", std::vector<GpuInfo>{});
    f.gathered_at = j.value("gathered_at", "");
}

}  // namespace cc
