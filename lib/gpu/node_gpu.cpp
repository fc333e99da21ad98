#include "gpu/node_gpu.hpp"

#include <charconv>
#include <functional>

#include <fmt/format.h>

#include "remote/command.hpp"

namespace cc {

namespace {

// POSIX sh, constant: no user input is ever placed in these. The node's own
// deadline is the caller's, applied to the whole script by with_remote_deadline.
std::string inventory_text() {
    return fmt::format(R"SH(vendor=none
if command -v nvidia-smi >/dev/null 2>&1; then
  vendor=nvidia; section vendor; printf nvidia
  section gpus; {} 2>&1; rc=$?
  section gpus_rc; printf %s "$rc"
elif command -v rocm-smi >/dev/null 2>&1; then
  vendor=amd; section vendor; printf amd
  section gpus; {} 2>&1; rc=$?
  section gpus_rc; printf %s "$rc"
else
  section vendor; printf none
fi
)SH",
                       nvidia_gpu_query_command(), rocm_smi_query_command());
}

std::string processes_text() {
    return fmt::format(R"SH(pids=
if [ "$vendor" = nvidia ]; then
  apps=$({} 2>&1); rc=$?
  section apps; printf '%s\n' "$apps"
  section apps_rc; printf %s "$rc"
  [ "$rc" = 0 ] && pids=$(printf '%s\n' "$apps" | awk -F', *' 'NR > 1 && $2 ~ /^[0-9]+$/ {{print $2}}')
fi
section owners
for pid in $pids; do
  printf '%s\t%s\t%s\n' "$pid" "$(ps -o user= -p "$pid" 2>/dev/null)" "$(tr '\n' ' ' < /proc/$pid/cgroup 2>/dev/null)"
done
section containers
if [ -n "$pids" ]; then
  for rt in podman docker; do
    command -v $rt >/dev/null 2>&1 && $rt ps -a --no-trunc --format '{{{{.ID}}}}\t{{{{.Names}}}}' 2>/dev/null | sed "s/^/$rt\t/"
  done
fi
sections_end
)SH",
                       nvidia_apps_query_command());
}

std::string first_line(std::string_view text) {
    std::string line(text.substr(0, text.find('\n')));
    return line.empty() ? "no output" : line;
}

// A section holding an exit status; one the script did not print is a failure.
int exit_status(const Sections& s, std::string_view name) {
    std::string_view text = s.value(name);
    int rc = 1;
    if (text.empty() || std::from_chars(text.data(), text.data() + text.size(), rc).ec != std::errc{}) return 1;
    return rc;
}

std::vector<std::string> split_tabs(std::string_view line) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (std::size_t tab; (tab = line.find('\t', start)) != std::string_view::npos; start = tab + 1)
        out.emplace_back(line.substr(start, tab - start));
    out.emplace_back(line.substr(start));
    return out;
}

void for_each_line(std::string_view rest, const std::function<void(std::string_view)>& fn) {
    while (!rest.empty()) {
        std::size_t eol = rest.find('\n');
        std::string_view line = rest.substr(0, eol);
        rest = eol == std::string_view::npos ? std::string_view{} : rest.substr(eol + 1);
        if (!line.empty()) fn(line);
    }
}

}  // namespace

std::string gpu_inventory_script() {
    static const std::string script = inventory_text();
    return script;
}

Result<GpuInventory> parse_gpu_inventory(const Sections& s) {
    auto vendor = s.get("vendor");
    if (!vendor) return std::unexpected(vendor.error());
    GpuInventory inventory;
    inventory.vendor = std::string(*vendor);
    if (inventory.vendor == "none") return inventory;
    if (inventory.vendor != "nvidia" && inventory.vendor != "amd")
        return fail(ErrorKind::remote, fmt::format("unknown GPU vendor \"{}\"", inventory.vendor));
    if (exit_status(s, "gpus_rc") != 0) {
        inventory.error = first_line(s.value("gpus"));
        return inventory;
    }
    auto gpus = inventory.vendor == "amd" ? parse_rocm_smi_json(s.value("gpus")) : parse_nvidia_gpu_csv(s.value("gpus"));
    if (!gpus) inventory.error = gpus.error().message;
    else inventory.gpus = std::move(*gpus);
    return inventory;
}

std::string node_gpu_script(std::string_view nonce) {
    return "export LC_ALL=C\n" + section_functions(nonce) + gpu_inventory_script() + processes_text();
}

Result<NodeGpuReport> parse_node_gpu_output(std::string_view output, std::string_view nonce) {
    auto s = parse_sections(output, nonce);
    if (!s) return fail(ErrorKind::remote, "GPU query: " + s.error().message);
    auto inventory = parse_gpu_inventory(*s);
    if (!inventory) return fail(ErrorKind::remote, "GPU query: " + inventory.error().message);
    NodeGpuReport report;
    report.vendor = inventory->vendor;
    report.error = inventory->error;
    report.gpus = std::move(inventory->gpus);
    if (report.vendor == "none" || !report.error.empty()) return report;
    if (report.vendor == "nvidia") {
        if (exit_status(*s, "apps_rc") != 0) {
            report.error = "process list: " + first_line(s->value("apps"));
        } else {
            auto apps = parse_nvidia_apps_csv(s->value("apps"));
            if (!apps) report.error = "process list: " + apps.error().message;
            else report.processes = std::move(*apps);
        }
    }
    for_each_line(s->value("owners"), [&](std::string_view line) {
        auto f = split_tabs(line);
        int pid = 0;
        if (f.size() < 3 || std::from_chars(f[0].data(), f[0].data() + f[0].size(), pid).ec != std::errc{}) return;
        report.owners[pid] = {f[1], f[2]};
    });
    for_each_line(s->value("containers"), [&](std::string_view line) {
        auto f = split_tabs(line);
        if (f.size() < 3) return;
        report.container_names[f[1]] = f[2];
        report.container_runtimes[f[1]] = f[0];
    });
    return report;
}

Result<NodeGpuReport> read_node_gpu(Connection& connection, std::chrono::milliseconds deadline) {
    std::string nonce = new_section_nonce();
    auto ran = run_bounded(connection, with_remote_deadline(node_gpu_script(nonce), deadline), deadline);
    if (!ran) return std::unexpected(ran.error());
    return parse_node_gpu_output(ran->out, nonce);
}

}  // namespace cc
