#include "config/config.hpp"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>

#include <sys/stat.h>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "core/strings.hpp"
#include "core/units.hpp"

namespace cc {

namespace {

using Apply = std::function<Result<void>(Settings&, const std::string&)>;
using Show = std::function<std::string(const Settings&)>;

struct KeyRow {
    ConfigKeyInfo info;
    Apply apply;  // parse text into Settings
    Show show;    // Settings back to text
};

std::vector<std::string> split(const std::string& text, char sep) {
    std::vector<std::string> items;
    std::string current;
    for (char c : text) {
        if (c == sep) {
            if (!current.empty()) items.push_back(current);
            current.clear();
        } else {
            current += c;
        }
    }
    if (!current.empty()) items.push_back(current);
    return items;
}

Result<void> bad_value(const std::string& key, const std::string& value, const std::string& why) {
    return fail(ErrorKind::config, fmt::format("{}: invalid value \"{}\": {}", key, value, why));
}

Apply duration_setter(std::chrono::milliseconds Settings::*field, const char* key) {
    return [field, key](Settings& s, const std::string& v) -> Result<void> {
        auto d = parse_duration(v);
        if (!d) return bad_value(key, v, d.error().message);
        if (d->count() <= 0) return bad_value(key, v, "must be greater than zero");
        s.*field = *d;
        return {};
    };
}

Show duration_getter(std::chrono::milliseconds Settings::*field) {
    return [field](const Settings& s) { return format_duration(s.*field); };
}

Result<void> parse_bool(bool& out, const std::string& key, const std::string& v) {
    if (v == "true" || v == "1" || v == "yes") out = true;
    else if (v == "false" || v == "0" || v == "no") out = false;
    else return bad_value(key, v, "expected true or false");
    return {};
}

const std::vector<KeyRow>& general_key_rows() {
    static const std::vector<KeyRow> rows = {
        {{"ssh.user", "CLUSTERCTL_SSH_USER", "remote user for nodes added without --user"},
         [](Settings& s, const std::string& v) -> Result<void> {
             if (v.empty()) return bad_value("ssh.user", v, "must not be empty");
             s.ssh_user = v;
             return {};
         },
         [](const Settings& s) { return s.ssh_user; }},
        {{"ssh.identity_files", "CLUSTERCTL_SSH_IDENTITY_FILES",
          "private keys tried after the ssh-agent, in order (env: colon-separated)"},
         [](Settings& s, const std::string& v) -> Result<void> {
             s.identity_files = split(v, ':');
             return {};
         },
         [](const Settings& s) { return join(s.identity_files, ":"); }},
        {{"ssh.known_hosts", "CLUSTERCTL_SSH_KNOWN_HOSTS",
          "OpenSSH known_hosts file consulted (read only) when a node is added"},
         [](Settings& s, const std::string& v) -> Result<void> {
             s.known_hosts = v;
             return {};
         },
         [](const Settings& s) { return s.known_hosts; }},
        {{"ssh.host_key_policy", "CLUSTERCTL_SSH_HOST_KEY_POLICY",
          "strict: unknown host keys are refused; accept-new: pinned on first contact (changed keys are always refused)"},
         [](Settings& s, const std::string& v) -> Result<void> {
             if (v == "strict") s.host_key_policy = HostKeyPolicy::strict;
             else if (v == "accept-new") s.host_key_policy = HostKeyPolicy::accept_new;
             else return bad_value("ssh.host_key_policy", v, "expected strict or accept-new");
             return {};
         },
         [](const Settings& s) {
             return std::string(s.host_key_policy == HostKeyPolicy::strict ? "strict" : "accept-new");
         }},
        {{"ssh.use_agent", "CLUSTERCTL_SSH_USE_AGENT", "try keys from $SSH_AUTH_SOCK before identity files"},
         [](Settings& s, const std::string& v) { return parse_bool(s.use_agent, "ssh.use_agent", v); },
         [](const Settings& s) { return std::string(s.use_agent ? "true" : "false"); }},
        {{"ssh.connect_timeout", "CLUSTERCTL_CONNECT_TIMEOUT",
          "bound on TCP connect, SSH handshake and authentication together"},
         duration_setter(&Settings::connect_timeout, "ssh.connect_timeout"),
         duration_getter(&Settings::connect_timeout)},
        {{"ssh.timeout", "CLUSTERCTL_TIMEOUT", "deadline for one remote command on one node"},
         duration_setter(&Settings::command_timeout, "ssh.timeout"),
         duration_getter(&Settings::command_timeout)},
        {{"ssh.keepalive", "CLUSTERCTL_SSH_KEEPALIVE", "SSH keepalive interval on open sessions"},
         duration_setter(&Settings::keepalive, "ssh.keepalive"),
         duration_getter(&Settings::keepalive)},
        {{"fanout", "CLUSTERCTL_FANOUT", "nodes contacted at once"},
         [](Settings& s, const std::string& v) -> Result<void> {
             char* end = nullptr;
             long n = std::strtol(v.c_str(), &end, 10);
             if (v.empty() || *end != '\0' || n < 1 || n > 4096)
                 return bad_value("fanout", v, "expected a whole number from 1 to 4096");
             s.fanout = static_cast<int>(n);
             return {};
         },
         [](const Settings& s) { return std::to_string(s.fanout); }},
        {{"check.min_disk_free", "CLUSTERCTL_CHECK_MIN_DISK_FREE",
          "`node check` fails a node whose root file system has less free space"},
         [](Settings& s, const std::string& v) -> Result<void> {
             auto size = parse_size(v);
             if (!size) return bad_value("check.min_disk_free", v, size.error().message);
             s.min_disk_free = *size;
             return {};
         },
         [](const Settings& s) { return format_bytes(s.min_disk_free); }},
        {{"exec.max_output", "CLUSTERCTL_EXEC_MAX_OUTPUT",
          "`exec -b` and `-o json` keep at most this much stdout and stderr per node; the rest is read and dropped"},
         [](Settings& s, const std::string& v) -> Result<void> {
             auto size = parse_size(v);
             if (!size) return bad_value("exec.max_output", v, size.error().message);
             if (*size == 0) return bad_value("exec.max_output", v, "must be greater than zero");
             s.exec_max_output = *size;
             return {};
         },
         [](const Settings& s) { return format_bytes(s.exec_max_output); }},
    };
    return rows;
}

// `levels.LEVEL.KEY`: one row per level and quota key, values as `--quota` writes them.
KeyRow level_key_row(const std::string& level, const std::string& quota_key) {
    std::string key = fmt::format("levels.{}.{}", level, quota_key);
    std::string env = fmt::format("CLUSTERCTL_LEVELS_{}_{}", level, quota_key);
    for (char& c : env) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return {{key, env,
             fmt::format("{} a user on level {} may hold, unless the user's own quota says otherwise", quota_key, level)},
            [key, level, quota_key](Settings& s, const std::string& v) -> Result<void> {
                if (v == "default") return bad_value(key, v, "give a value");
                auto parsed = parse_quota(fmt::format("{}={}", quota_key, v));
                if (!parsed) return bad_value(key, v, parsed.error().message);
                s.levels[level] = effective_limits(s.levels[level], *parsed);
                return {};
            },
            [level, quota_key](const Settings& s) {
                return format_limit(quota_key, limit_of(s.levels.at(level), quota_key));
            }};
}

KeyRow port_range_row() {
    return {{"instances.port_range", "CLUSTERCTL_INSTANCES_PORT_RANGE",
             "host ports given to instances (FIRST-LAST on every node), skipping ports claimed or listening"},
            [](Settings& s, const std::string& v) -> Result<void> {
                auto range = parse_port_range(v);
                if (!range) return bad_value("instances.port_range", v, "expected FIRST-LAST, 1 to 65535, FIRST <= LAST");
                s.port_range = *range;
                return {};
            },
            [](const Settings& s) { return format_port_range(s.port_range); }};
}

// The general keys, then one per level and quota key, then the instances' port range.
const std::vector<KeyRow>& key_rows() {
    static const std::vector<KeyRow> rows = [] {
        std::vector<KeyRow> out = general_key_rows();
        for (const auto& level : level_names())
            for (const auto& quota_key : quota_keys()) out.push_back(level_key_row(level, quota_key));
        out.push_back(port_range_row());
        return out;
    }();
    return rows;
}

const KeyRow* find_row(std::string_view key) {
    for (const auto& row : key_rows())
        if (row.info.key == key) return &row;
    return nullptr;
}

// TOML scalars and string arrays become the same text form the env uses.
std::optional<std::string> toml_to_text(const toml::node& node) {
    if (auto s = node.value<std::string>()) return *s;
    if (node.is_integer()) return std::to_string(*node.value<int64_t>());
    if (node.is_boolean()) return std::string(*node.value<bool>() ? "true" : "false");
    if (node.is_floating_point()) return fmt::format("{}", *node.value<double>());  // cpus = 12.5
    if (auto arr = node.as_array()) {
        std::vector<std::string> items;
        for (const auto& item : *arr) {
            auto s = item.value<std::string>();
            if (!s) return std::nullopt;
            items.push_back(*s);
        }
        return join(items, ":");
    }
    return std::nullopt;
}

std::string location(const std::string& path, const toml::source_region& where) {
    return fmt::format("{}:{}:{}", path, where.begin.line, where.begin.column);
}

// Keys of one `[registry."HOST"]` table: a row each, like the keys above, but per registry host.
using RegistryApply = std::function<Result<void>(RegistrySettings&, const std::string&, const std::string&)>;
struct RegistryKeyRow {
    std::string name;
    std::string help;
    RegistryApply apply;  // (settings, key for messages, text)
};

const std::vector<RegistryKeyRow>& registry_key_rows() {
    static const std::vector<RegistryKeyRow> rows = {
        {"ca_file", "PEM bundle of a private CA that signed this registry's certificate",
         [](RegistrySettings& r, const std::string&, const std::string& v) -> Result<void> {
             r.ca_file = v;
             return {};
         }},
        {"insecure", "plain http:// for this registry (never for one reachable by others)",
         [](RegistrySettings& r, const std::string& key, const std::string& v) { return parse_bool(r.insecure, key, v); }},
    };
    return rows;
}

// `[registry."reg.lab:5000"]`: the host is one TOML key, so it is read here rather than split on dots.
Result<void> apply_registry_tables(const std::string& path, const toml::table& registries, Settings& settings) {
    for (const auto& [host, node] : registries) {
        auto table = node.as_table();
        if (!table)
            return fail(ErrorKind::config, fmt::format("{}: registry.\"{}\" must be a table", location(path, node.source()),
                                                       host.str()));
        RegistrySettings& entry = settings.registries[std::string(host.str())];
        for (const auto& [name, value] : *table) {
            std::string key = fmt::format("registry.\"{}\".{}", host.str(), name.str());
            const RegistryKeyRow* row = nullptr;
            for (const auto& candidate : registry_key_rows())
                if (candidate.name == name.str()) row = &candidate;
            if (!row) return fail(ErrorKind::config, fmt::format("{}: unknown key \"{}\"", location(path, value.source()), key));
            auto text = toml_to_text(value);
            if (!text)
                return fail(ErrorKind::config, fmt::format("{}: \"{}\" has the wrong type", location(path, value.source()), key));
            if (auto r = row->apply(entry, key, *text); !r)
                return fail(ErrorKind::config, fmt::format("{}: {}", location(path, value.source()), r.error().message));
        }
    }
    return {};
}

// Walks the parsed file; every leaf must be a known key with a valid value.
Result<void> apply_table(const std::string& path, const toml::table& table, const std::string& prefix,
                         Settings& settings, std::map<std::string, ConfigSource>& sources) {
    for (const auto& [name, node] : table) {
        std::string key = prefix.empty() ? std::string(name.str()) : prefix + "." + std::string(name.str());
        if (auto sub = node.as_table(); sub && prefix.empty() && name.str() == "registry") {
            if (auto r = apply_registry_tables(path, *sub, settings); !r) return r;
            continue;
        }
        if (auto sub = node.as_table()) {
            if (auto r = apply_table(path, *sub, key, settings, sources); !r) return r;
            continue;
        }
        const KeyRow* row = find_row(key);
        if (!row) return fail(ErrorKind::config, fmt::format("{}: unknown key \"{}\"", location(path, node.source()), key));
        auto text = toml_to_text(node);
        if (!text)
            return fail(ErrorKind::config,
                        fmt::format("{}: \"{}\" has the wrong type", location(path, node.source()), key));
        if (auto r = row->apply(settings, *text); !r)
            return fail(ErrorKind::config, fmt::format("{}: {}", location(path, node.source()), r.error().message));
        sources[key] = ConfigSource::file;
    }
    return {};
}

}  // namespace

const char* config_source_name(ConfigSource source) {
    switch (source) {
        case ConfigSource::default_value: return "default";
        case ConfigSource::file: return "file";
        case ConfigSource::env: return "env";
        case ConfigSource::flag: return "flag";
    }
    return "?";
}

const std::vector<ConfigKeyInfo>& config_keys() {
    static const std::vector<ConfigKeyInfo> infos = [] {
        std::vector<ConfigKeyInfo> out;
        for (const auto& row : key_rows()) out.push_back(row.info);
        return out;
    }();
    return infos;
}

Result<Config> load_config(const std::string& path, const FlagOverrides& flags, bool must_exist) {
    Config config;
    config.path = path;
    std::map<std::string, ConfigSource> sources;

    struct stat st {};
    bool exists = ::stat(path.c_str(), &st) == 0;
    // A mistyped --config must not quietly run with defaults (another ssh user, no known_hosts).
    if (!exists && (must_exist || (errno != ENOENT && errno != ENOTDIR)))
        return fail(ErrorKind::config, fmt::format("config file \"{}\": {}", path, std::strerror(errno)));
    if (exists) {
        // Debian's toml++ is built with exceptions; turn its one exception into a value here.
        toml::table parsed;
        try {
            parsed = toml::parse_file(path);
        } catch (const toml::parse_error& err) {
            if (err.source().begin.line == 0)  // could not be read at all
                return fail(ErrorKind::config, fmt::format("{}: {}", path, err.description()));
            return fail(ErrorKind::config, fmt::format("{}: {}", location(path, err.source()), err.description()));
        }
        config.file_found = true;
        if (auto r = apply_table(path, parsed, "", config.settings, sources); !r)
            return std::unexpected(r.error());
    }

    for (const auto& row : key_rows()) {
        const char* value = std::getenv(row.info.env.c_str());
        if (!value) continue;
        if (auto r = row.apply(config.settings, value); !r)
            return fail(ErrorKind::config, fmt::format("environment {}: {}", row.info.env, r.error().message));
        sources[row.info.key] = ConfigSource::env;
    }

    for (const auto& [key, value] : flags) {
        const KeyRow* row = find_row(key);
        if (!row) return fail(ErrorKind::invalid_input, fmt::format("unknown config key \"{}\"", key));
        if (auto r = row->apply(config.settings, value); !r)
            return fail(ErrorKind::invalid_input, r.error().message);
        sources[key] = ConfigSource::flag;
    }

    for (const auto& row : key_rows()) {
        auto it = sources.find(row.info.key);
        config.entries.push_back({row.info.key, row.show(config.settings),
                                  it == sources.end() ? ConfigSource::default_value : it->second});
    }
    for (const auto& [host, registry] : config.settings.registries) {
        config.entries.push_back({fmt::format("registry.\"{}\".ca_file", host), registry.ca_file, ConfigSource::file});
        config.entries.push_back(
            {fmt::format("registry.\"{}\".insecure", host), registry.insecure ? "true" : "false", ConfigSource::file});
    }
    return config;
}

}  // namespace cc
