// Effective configuration: flag > environment > config file > default.
// Every key is one row of kConfigKeys (config.cpp); parsing, `config show`
// and the man page all read that table.
#pragma once
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/quantity.hpp"

namespace cc {

enum class HostKeyPolicy { strict, accept_new };

// One `[registry."HOST"]` table.
struct RegistrySettings {
    std::string ca_file;    // extra CA bundle for a private CA ("" = system CAs only)
    bool insecure = false;  // plain http://
};

struct Settings {
    std::string ssh_user = "root";
    std::vector<std::string> identity_files = {"~/.ssh/id_ed25519", "~/.ssh/id_ecdsa"};
    std::string known_hosts = "~/.ssh/known_hosts";
    HostKeyPolicy host_key_policy = HostKeyPolicy::strict;
    bool use_agent = true;
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds command_timeout{60'000};
    std::chrono::milliseconds keepalive{15'000};
    int fanout = 64;
    std::uint64_t min_disk_free = 2ull << 30;  // node check fails below this
    std::uint64_t exec_max_output = 1ull << 20;  // per stream per node, gathered (-b) and JSON exec output
    std::map<std::string, RegistrySettings> registries;  // by host as image references name it
    // `[levels.small|mid|big]`: what a user on that level may hold (core/quantity.hpp's defaults).
    std::map<std::string, ResourceLimits> levels = {
        {"small", builtin_level("small")}, {"mid", builtin_level("mid")}, {"big", builtin_level("big")}};
    PortRange port_range;  // `[instances] port_range`: host ports given to instances
};

enum class ConfigSource { default_value, file, env, flag };
const char* config_source_name(ConfigSource source);

struct ConfigKeyInfo {
    std::string key;       // "ssh.user"
    std::string env;       // "CLUSTERCTL_SSH_USER"
    std::string help;
};
const std::vector<ConfigKeyInfo>& config_keys();

struct ConfigEntry {
    std::string key;
    std::string value;  // as text, the way `config show` prints it
    ConfigSource source;
};

struct Config {
    Settings settings;
    std::string path;                 // the file consulted (may not exist)
    bool file_found = false;
    std::vector<ConfigEntry> entries; // one per key, in table order
};

// Values given as command-line flags, keyed by config key ("fanout").
using FlagOverrides = std::map<std::string, std::string>;

// Reads `path`, then the environment, then flags. A missing file means
// defaults only where `path` is the default location; a path the user named
// (`must_exist`) must be there. A bad file gives `path:line:col: message`
// (ErrorKind::config).
Result<Config> load_config(const std::string& path, const FlagOverrides& flags, bool must_exist = false);

}  // namespace cc
