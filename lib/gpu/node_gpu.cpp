#include "gpu/node_gpu.hpp"

#include <charconv>
#include <functional>

#include <fmt/format.h>

namespace cc {

namespace {

// POSIX sh, constant: no user input is ever placed in it.
std::string script_text() {
    return fmt::format(R"SH(export LC_ALL=C
T=; command -v timeout >/dev/null 2>&1 && T='timeout 20'
pids=
if command -v nvidia-smi >/dev/null 2>&1; then
  echo '@@vendor nvidia'
  echo '@@gpus'; $T {} 2>&1; echo "@@rc $?"
  apps=$($T {} 2>&1); rc=$?
  echo '@@apps'; printf '%s\n' "$apps"; echo "@@rc $rc"
  [ "$rc" = 0 ] && pids=$(printf '%s\n' "$apps" | awk -F', *' 'NR > 1 && $2 ~ /^[0-9]+$/ {{print $2}}')
elif command -v rocm-smi >/dev/null 2>&1; then
  echo '@@vendor amd'
  echo '@@gpus'; $T {} 2>&1; echo "@@rc $?"
else
  echo '@@vendor none'
fi
echo '@@owners'
for pid in $pids; do
  printf '%s\t%s\t%s\n' "$pid" "$(ps -o user= -p "$pid" 2>/dev/null)" "$(tr '\n' ' ' < /proc/$pid/cgroup 2>/dev/null)"
done
echo '@@containers'
if [ -n "$pids" ]; then
  for rt in podman docker; do
    command -v $rt >/dev/null 2>&1 && $T $rt ps -a --no-trunc --format '{{{{.ID}}}}\t{{{{.Names}}}}' 2>/dev/null | sed "s/^/$rt\t/"
  done
fi
)SH",
                       nvidia_gpu_query_command(), nvidia_apps_query_command(), rocm_smi_query_command());
}

struct Sections {
    std::string vendor;
    std::map<std::string, std::string> body;  // section name → text
    std::map<std::string, int> rc;            // section name → exit status
};

Sections split_sections(std::string_view output) {
    Sections s;
    std::string current;
    while (!output.empty()) {
        std::size_t eol = output.find('\n');
        std::string_view line = output.substr(0, eol);
        output = eol == std::string_view::npos ? std::string_view{} : output.substr(eol + 1);
        if (line.starts_with("@@vendor ")) {
            s.vendor = std::string(line.substr(9));
        } else if (line.starts_with("@@rc ")) {
            int rc = 0;
            std::from_chars(line.data() + 5, line.data() + line.size(), rc);
            s.rc[current] = rc;
        } else if (line.starts_with("@@")) {
            current = std::string(line.substr(2));
        } else if (!current.empty()) {
            s.body[current].append(line).push_back('\n');
        }
    }
    return s;
}

std::string first_line(const std::string& text) {
    std::string line = text.substr(0, text.find('\n'));
    return line.empty() ? "no output" : line;
}

std::vector<std::string> split_tabs(std::string_view line) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (std::size_t tab; (tab = line.find('\t', start)) != std::string_view::npos; start = tab + 1)
        out.emplace_back(line.substr(start, tab - start));
    out.emplace_back(line.substr(start));
    return out;
}

void for_each_line(const std::string& text, const std::function<void(std::string_view)>& fn) {
    std::string_view rest = text;
    while (!rest.empty()) {
        std::size_t eol = rest.find('\n');
        std::string_view line = rest.substr(0, eol);
        rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
        if (!line.empty()) fn(line);
    }
}

}  // namespace

std::string node_gpu_script() {
    static const std::string script = script_text();
    return script;
}

Result<NodeGpuReport> parse_node_gpu_output(std::string_view output) {
    Sections s = split_sections(output);
    if (s.vendor.empty()) return fail(ErrorKind::remote, "GPU query produced no output (is the login shell POSIX?)");
    NodeGpuReport report;
    report.vendor = s.vendor;
    if (s.vendor == "none") return report;

    if (s.rc["gpus"] != 0) {
        report.error = first_line(s.body["gpus"]);
        return report;
    }
    auto gpus = s.vendor == "amd" ? parse_rocm_smi_json(s.body["gpus"]) : parse_nvidia_gpu_csv(s.body["gpus"]);
    if (!gpus) {
        report.error = gpus.error().message;
        return report;
    }
    report.gpus = std::move(*gpus);
    if (s.vendor == "nvidia") {
        if (s.rc["apps"] != 0) {
            report.error = "process list: " + first_line(s.body["apps"]);
        } else {
            auto apps = parse_nvidia_apps_csv(s.body["apps"]);
            if (!apps) report.error = "process list: " + apps.error().message;
            else report.processes = std::move(*apps);
        }
    }
    for_each_line(s.body["owners"], [&](std::string_view line) {
        auto f = split_tabs(line);
        int pid = 0;
        if (f.size() < 3 || std::from_chars(f[0].data(), f[0].data() + f[0].size(), pid).ec != std::errc{}) return;
        report.owners[pid] = {f[1], f[2]};
    });
    for_each_line(s.body["containers"], [&](std::string_view line) {
        auto f = split_tabs(line);
        if (f.size() < 3) return;
        report.container_names[f[1]] = f[2];
        report.container_runtimes[f[1]] = f[0];
    });
    return report;
}

}  // namespace cc
