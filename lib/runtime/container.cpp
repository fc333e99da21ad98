#include "runtime/container.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace cc {

namespace {

// For error messages only: a hostile value is shown short and without control bytes.
std::string shown(std::string_view text) {
    std::string out;
    for (char c : text.substr(0, 80)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
    return out;
}

bool has_nul(std::string_view text) { return text.find('\0') != std::string_view::npos; }
bool has_nul_or_newline(std::string_view text) { return text.find_first_of(std::string_view("\0\n\r", 3)) != std::string_view::npos; }

Result<void> refuse(std::string_view what, std::string_view value, std::string_view why) {
    return fail(ErrorKind::invalid_input, fmt::format("{} \"{}\": {}", what, shown(value), why));
}

Result<void> check_line(std::string_view what, std::string_view value, bool may_be_empty = false) {
    if (!may_be_empty && value.empty()) return refuse(what, value, "empty");
    if (has_nul_or_newline(value)) return refuse(what, value, "holds a NUL byte or a line break");
    return {};
}

// -v SRC:DST[:ro] splits on ':'; ',' would split podman's option list after it.
Result<void> check_volume_path(std::string_view what, std::string_view path) {
    if (auto ok = check_line(what, path); !ok) return ok;
    if (!path.starts_with('/')) return refuse(what, path, "not an absolute path");
    if (path.find_first_of(":,") != std::string_view::npos) return refuse(what, path, "holds ':' or ','");
    return {};
}

Result<void> check_key_value(std::string_view what, const KeyValue& kv, bool value_may_break_lines) {
    if (kv.key.empty() || kv.key.find('=') != std::string::npos) return refuse(what, kv.key, "a key must be non-empty and without '='");
    if (auto ok = check_line(what, kv.key); !ok) return ok;
    if (value_may_break_lines ? has_nul(kv.value) : has_nul_or_newline(kv.value))
        return refuse(what, kv.key, value_may_break_lines ? "its value holds a NUL byte" : "its value holds a NUL byte or a line break");
    return {};
}

const char* runtime(RuntimeKind kind) { return runtime_name(kind); }

}  // namespace

std::string cpus_decimal(std::uint64_t cpus_milli) {
    std::string text = std::to_string(cpus_milli / 1000);
    if (auto fraction = cpus_milli % 1000; fraction != 0) {
        std::string digits = fmt::format("{:03}", fraction);
        digits.erase(digits.find_last_not_of('0') + 1);
        text += "." + digits;
    }
    return text;
}

Result<void> validate_container_name(const std::string& name) {
    // The runtimes' own rule; a name past it would be refused later, with a less clear message.
    bool ok = !name.empty() && name.size() <= 253 && std::isalnum(static_cast<unsigned char>(name[0])) &&
              std::all_of(name.begin(), name.end(), [](char c) {
                  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
              });
    if (!ok) return refuse("container name", name, "must be [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 253 characters");
    return {};
}

Result<void> validate_container_spec(const ContainerSpec& spec) {
    if (auto ok = validate_container_name(spec.name); !ok) return ok;
    if (auto ok = check_line("owner", spec.owner, true); !ok) return ok;  // "": an instance nobody owns
    if (auto ok = check_line("image", spec.image); !ok) return ok;
    if (spec.image.starts_with('-')) return refuse("image", spec.image, "starts with '-'");
    for (const auto& label : spec.labels) {
        if (auto ok = check_key_value("label", label, false); !ok) return ok;
        if (label.key.starts_with(kReservedLabelPrefix)) return refuse("label", label.key, "the clusterctl. prefix is clusterctl's own");
    }
    for (const auto& var : spec.env)
        if (auto ok = check_key_value("environment variable", var, true); !ok) return ok;
    for (const auto& volume : spec.volumes) {
        if (auto ok = check_volume_path("volume source", volume.src); !ok) return ok;
        if (auto ok = check_volume_path("volume destination", volume.dst); !ok) return ok;
    }
    for (const auto& port : spec.ports) {
        if (port.host == 0 || port.container == 0)
            return fail(ErrorKind::invalid_input, fmt::format("port map {}:{}: ports are 1-65535", port.host, port.container));
        if (port.proto != "tcp" && port.proto != "udp") return refuse("port protocol", port.proto, "tcp or udp");
    }
    for (const auto& word : spec.command)
        if (has_nul(word)) return refuse("command argument", word, "holds a NUL byte");
    return {};
}

Result<RunCommand> run_argv(RuntimeKind kind, const ContainerSpec& spec, bool storage_quota) {
    if (auto ok = validate_container_spec(spec); !ok) return std::unexpected(ok.error());
    RunCommand out;
    auto& argv = out.argv;
    argv = {runtime(kind), "run", "-d", "--name", spec.name};
    auto option = [&](const char* flag, std::string value) {
        argv.emplace_back(flag);
        argv.push_back(std::move(value));
    };
    option("--label", fmt::format("{}={}", kInstanceLabel, spec.name));
    option("--label", fmt::format("{}={}", kOwnerLabel, spec.owner));
    for (const auto& label : spec.labels) option("--label", label.key + "=" + label.value);
    if (spec.cpus_milli != 0) option("--cpus", cpus_decimal(spec.cpus_milli));
    if (spec.memory_bytes != 0) option("--memory", std::to_string(spec.memory_bytes));  // a bare number is bytes to both
    if (spec.storage_bytes != 0) {
        out.storage = storage_quota ? StorageLimit::enforced : StorageLimit::not_enforced;
        if (storage_quota) option("--storage-opt", "size=" + std::to_string(spec.storage_bytes));
    }
    for (const auto& port : spec.ports) option("-p", fmt::format("{}:{}/{}", port.host, port.container, port.proto));
    for (const auto& var : spec.env) option("-e", var.key + "=" + var.value);  // always "=": a bare K would copy the node's
    for (const auto& volume : spec.volumes) option("-v", volume.src + ":" + volume.dst + (volume.read_only ? ":ro" : ""));
    auto gpu_args = gpu_device_args(kind, spec.gpus);
    if (!gpu_args) return std::unexpected(gpu_args.error());
    argv.insert(argv.end(), gpu_args->begin(), gpu_args->end());
    // Both runtimes stop reading options at "--": the image and the command after it are arguments.
    argv.emplace_back("--");
    argv.push_back(spec.image);
    argv.insert(argv.end(), spec.command.begin(), spec.command.end());
    return out;
}

std::vector<std::string> storage_probe_argv(RuntimeKind kind) {
    if (kind == RuntimeKind::podman)
        return {"podman", "info", "--format", R"({{.Store.GraphDriverName}} {{index .Store.GraphStatus "Backing Filesystem"}})"};
    return {"docker", "info", "--format",
            R"({{.Driver}} {{range .DriverStatus}}{{if eq (index . 0) "Backing Filesystem"}}{{index . 1}}{{end}}{{end}})"};
}

Result<bool> parse_storage_quota(RuntimeKind kind, std::string_view output) {
    while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.remove_suffix(1);
    auto space = output.find(' ');
    bool word_chars = output.size() <= 128 && std::all_of(output.begin(), output.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' || c == '-' || c == '_';
    });
    if (space == std::string_view::npos || space == 0 || !word_chars)
        return fail(ErrorKind::remote, fmt::format("storage driver probe: unexpected answer \"{}\"", shown(output)));
    std::string_view driver = output.substr(0, space), backing = output.substr(space + 1);
    if (kind == RuntimeKind::docker && (driver == "btrfs" || driver == "zfs")) return true;
    return (driver == "overlay" || driver == "overlay2") && backing == "xfs";
}

std::vector<std::string> start_argv(RuntimeKind kind, const std::string& name) { return {runtime(kind), "start", "--", name}; }

std::vector<std::string> stop_argv(RuntimeKind kind, const std::string& name, std::chrono::seconds grace) {
    // -t: both runtimes' short form (docker renamed --time to --timeout; podman has --time).
    return {runtime(kind), "stop", "-t", std::to_string(grace.count()), "--", name};
}

std::vector<std::string> restart_argv(RuntimeKind kind, const std::string& name, std::chrono::seconds grace) {
    return {runtime(kind), "restart", "-t", std::to_string(grace.count()), "--", name};
}

std::vector<std::string> remove_container_argv(RuntimeKind kind, const std::string& name) {
    // docker's rm -f kills at once; podman's first waits out the stop timeout (10 s) unless told 0.
    if (kind == RuntimeKind::podman) return {"podman", "rm", "-f", "-t", "0", "--", name};
    return {"docker", "rm", "-f", "--", name};
}

std::vector<std::string> logs_argv(RuntimeKind kind, const std::string& name, bool follow, std::optional<std::uint32_t> tail) {
    std::vector<std::string> argv{runtime(kind), "logs"};
    if (follow) argv.emplace_back("-f");
    if (tail) {
        argv.emplace_back("--tail");
        argv.push_back(std::to_string(*tail));
    }
    argv.emplace_back("--");
    argv.push_back(name);
    return argv;
}

Result<std::vector<std::string>> exec_argv(RuntimeKind kind, const std::string& name, const std::vector<std::string>& command,
                                           bool tty) {
    if (command.empty()) return fail(ErrorKind::invalid_input, "exec: no command given");
    for (const auto& word : command)
        if (has_nul(word)) return std::unexpected(refuse("command argument", word, "holds a NUL byte").error());
    std::vector<std::string> argv{runtime(kind), "exec", tty ? "-it" : "-i", "--", name};
    argv.insert(argv.end(), command.begin(), command.end());
    return argv;
}

std::vector<std::string> inspect_argv(RuntimeKind kind, const std::string& name) {
    // `container inspect`: an image of the same name is never answered instead.
    return {runtime(kind), "container", "inspect", "--", name};
}

}  // namespace cc
