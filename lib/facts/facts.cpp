#include "facts/facts.hpp"

#include <charconv>

#include <fmt/format.h>

namespace cc {

namespace {

// POSIX sh only: nodes may have dash, busybox or bash. No user input is
// ever interpolated here; the script is a constant.
constexpr const char* kFactsScript = R"SH(export LC_ALL=C
f() { printf '%s\t%s\n' "$1" "$2"; }
T=; command -v timeout >/dev/null 2>&1 && T='timeout 20'
f hostname "$(uname -n)"
f os "$( [ -r /etc/os-release ] && . /etc/os-release; echo "${PRETTY_NAME:-$(uname -s)}")"
f kernel "$(uname -r)"
f arch "$(uname -m)"
f cpus "$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc)"
f memory_kib "$(awk '/^MemTotal:/{print $2}' /proc/meminfo)"
df -Pk / | awk 'NR==2{printf "disk_total_kib\t%s\ndisk_free_kib\t%s\n", $2, $4}'
rt=
if command -v podman >/dev/null 2>&1; then rt=podman; elif command -v docker >/dev/null 2>&1; then rt=docker; fi
f runtime "$rt"
[ -n "$rt" ] && f runtime_version "$($rt --version 2>/dev/null | sed -n 's/^.*[Vv]ersion \([^ ,]*\).*$/\1/p' | head -n 1)"
)SH";

constexpr const char* kHealthScript = R"SH(if [ -n "$rt" ]; then
  if ! err=$($T $rt info 2>&1 >/dev/null); then f runtime_error "$(printf '%s' "${err:-$rt info failed}" | tail -n 1)"; fi
fi
)SH";

constexpr const char* kGpuScript = R"SH(if command -v nvidia-smi >/dev/null 2>&1; then
  f nvidia_smi 1
  if out=$($T nvidia-smi --query-gpu=index,uuid,name,memory.total,driver_version --format=csv,noheader,nounits 2>&1); then
    printf '%s\n' "$out" | while IFS= read -r line; do [ -n "$line" ] && f gpu "$line"; done
  else
    f gpu_error "$(printf '%s' "${out:-nvidia-smi failed}" | head -n 1)"
  fi
fi
)SH";

std::uint64_t to_u64(std::string_view text) {
    std::uint64_t value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

std::string trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.remove_suffix(1);
    return std::string(s);
}

// nvidia-smi separates CSV fields with ", "; only the name could hold one,
// so the fixed fields are taken from both ends.
Result<GpuInfo> parse_gpu_line(std::string_view line, std::string& driver) {
    std::vector<std::string> fields;
    std::size_t start = 0;
    for (std::size_t pos; (pos = line.find(", ", start)) != std::string_view::npos; start = pos + 2)
        fields.push_back(trim(line.substr(start, pos - start)));
    fields.push_back(trim(line.substr(start)));
    if (fields.size() < 5)
        return fail(ErrorKind::remote, fmt::format("unexpected nvidia-smi output line \"{}\"", line));
    GpuInfo gpu;
    gpu.index = static_cast<int>(to_u64(fields.front()));
    gpu.uuid = fields[1];
    for (std::size_t i = 2; i + 2 < fields.size(); ++i) gpu.name += (i > 2 ? ", " : "") + fields[i];
    gpu.memory_total_mib = to_u64(fields[fields.size() - 2]);
    driver = fields.back();
    return gpu;
}

}  // namespace

std::string facts_script(bool with_health) {
    return std::string(kFactsScript) + (with_health ? kHealthScript : "") + kGpuScript;
}

Result<Facts> parse_facts(std::string_view output) {
    Facts facts;
    bool saw_hostname = false;
    while (!output.empty()) {
        std::size_t eol = output.find('\n');
        std::string_view line = output.substr(0, eol);
        output = eol == std::string_view::npos ? std::string_view{} : output.substr(eol + 1);
        std::size_t tab = line.find('\t');
        if (tab == std::string_view::npos) continue;  // stray output from login scripts
        std::string_view key = line.substr(0, tab);
        std::string value = trim(line.substr(tab + 1));
        if (key == "hostname") { facts.hostname = value; saw_hostname = true; }
        else if (key == "os") facts.os = value;
        else if (key == "kernel") facts.kernel = value;
        else if (key == "arch") facts.arch = value;
        else if (key == "cpus") facts.cpus = static_cast<int>(to_u64(value));
        else if (key == "memory_kib") facts.memory_bytes = to_u64(value) * 1024;
        else if (key == "disk_total_kib") facts.disk_total_bytes = to_u64(value) * 1024;
        else if (key == "disk_free_kib") facts.disk_free_bytes = to_u64(value) * 1024;
        else if (key == "runtime") facts.runtime = value;
        else if (key == "runtime_version") facts.runtime_version = value;
        else if (key == "runtime_error") facts.runtime_error = value;
        else if (key == "nvidia_smi") facts.nvidia_smi = true;
        else if (key == "gpu_error") facts.gpu_error = value;
        else if (key == "gpu") {
            auto gpu = parse_gpu_line(value, facts.gpu_driver);
            if (!gpu) return std::unexpected(gpu.error());
            facts.gpus.push_back(*gpu);
        }
    }
    if (!saw_hostname) return fail(ErrorKind::remote, "facts script produced no output (is the login shell POSIX?)");
    return facts;
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
