#include "registry/credentials.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>

#include "core/base64.hpp"
#include "core/local_paths.hpp"
#include "registry/docker_config.hpp"

namespace cc {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxConfigBytes = 1 << 20;

// The file's text; nullopt when it does not exist. `private_file` refuses a file others can read:
// like ssh with a private key, a leaked secret should be noticed, not silently re-protected.
Result<std::optional<std::string>> read_config_file(const fs::path& path, bool private_file) {
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return std::optional<std::string>{};
        return fail(ErrorKind::config, fmt::format("cannot open \"{}\": {}", path.string(), std::strerror(errno)));
    }
    struct stat st {};
    ::fstat(fd, &st);
    if (private_file && (st.st_mode & 077) != 0) {
        ::close(fd);
        return fail(ErrorKind::config, fmt::format("\"{}\" is readable by others (mode {:04o}); run chmod 600 on it",
                                                   path.string(), st.st_mode & 07777));
    }
    if (!S_ISREG(st.st_mode) || static_cast<std::size_t>(st.st_size) > kMaxConfigBytes) {
        ::close(fd);
        return fail(ErrorKind::config, fmt::format("\"{}\" is not a regular file under 1 MiB", path.string()));
    }
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t got = 0;
    while (got < text.size()) {
        ssize_t n = ::read(fd, text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
    }
    ::close(fd);
    text.resize(got);
    return std::optional<std::string>{std::move(text)};
}

// Temporary file (0600, O_EXCL) beside the target, synced, renamed over it.
Result<void> write_private_file(const fs::path& path, std::string_view bytes) {
    if (auto made = make_directories(path.parent_path().string(), 0700); !made) return made;
    std::mt19937_64 random{std::random_device{}()};
    fs::path temporary = path.parent_path() / fmt::format(".{}.{:016x}", path.filename().string(), random());
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return fail(ErrorKind::io, fmt::format("cannot create \"{}\": {}", temporary.string(), std::strerror(errno)));
    bool ok = ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()) && ::fsync(fd) == 0;
    ok = ::close(fd) == 0 && ok;
    if (!ok || ::rename(temporary.c_str(), path.c_str()) != 0) {
        int saved = errno;
        ::unlink(temporary.c_str());
        return fail(ErrorKind::io, fmt::format("cannot write \"{}\": {}", path.string(), std::strerror(saved)));
    }
    return {};
}

Result<json> read_own_file(const fs::path& path) {
    auto text = read_config_file(path, true);
    if (!text) return std::unexpected(text.error());
    if (!*text) return json{{"auths", json::object()}};
    json doc = json::parse(**text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        return fail(ErrorKind::config, fmt::format("\"{}\" is not a JSON object", path.string()));
    if (!doc.contains("auths") || !doc["auths"].is_object()) doc["auths"] = json::object();
    return doc;
}

std::string xdg_config_dir() {
    const char* value = std::getenv("XDG_CONFIG_HOME");
    std::string dir = value ? value : "";
    if (dir.empty() || dir.front() != '/') dir = home_directory() + "/.config";
    return dir;
}

// The server name a docker credential helper files docker.io under.
std::string helper_server(std::string_view registry) {
    return registry == "docker.io" ? "https://index.docker.io/v1/" : std::string(registry);
}

}  // namespace

CredentialStore::CredentialStore(fs::path own_file, fs::path docker_config)
    : own_file_(std::move(own_file)), docker_config_(std::move(docker_config)) {}

CredentialStore CredentialStore::open_default() {
    const char* docker_dir = std::getenv("DOCKER_CONFIG");
    fs::path docker = docker_dir && *docker_dir ? fs::path(docker_dir) / "config.json"
                                                : fs::path(home_directory()) / ".docker" / "config.json";
    return CredentialStore(fs::path(xdg_config_dir()) / "clusterctl" / "auth.json", docker);
}

Result<std::optional<Credentials>> CredentialStore::lookup(std::string_view registry) const {
    auto own_text = read_config_file(own_file_, true);
    if (!own_text) return std::unexpected(own_text.error());
    if (*own_text) {
        auto entry = docker_config_lookup(**own_text, registry);
        if (!entry) return std::unexpected(Error{ErrorKind::config, own_file_.string() + ": " + entry.error().message});
        if (*entry && (*entry)->credentials) return (*entry)->credentials;
    }
    auto docker_text = read_config_file(docker_config_, false);
    if (!docker_text) return std::unexpected(docker_text.error());
    if (!*docker_text) return std::optional<Credentials>{};
    auto entry = docker_config_lookup(**docker_text, registry);
    if (!entry) return std::unexpected(Error{ErrorKind::config, docker_config_.string() + ": " + entry.error().message});
    if (!*entry) return std::optional<Credentials>{};
    if (!(*entry)->helper.empty()) return run_credential_helper((*entry)->helper, helper_server(registry));
    return (*entry)->credentials;
}

Result<void> CredentialStore::save(std::string_view registry, const Credentials& credentials) const {
    auto doc = read_own_file(own_file_);
    if (!doc) return std::unexpected(doc.error());
    json entry = {{"auth", base64_encode(credentials.username + ":" + credentials.password)}};
    if (!credentials.identity_token.empty()) entry["identitytoken"] = credentials.identity_token;
    (*doc)["auths"][std::string(registry)] = entry;
    return write_private_file(own_file_, doc->dump(2) + "\n");
}

Result<bool> CredentialStore::remove(std::string_view registry) const {
    auto doc = read_own_file(own_file_);
    if (!doc) return std::unexpected(doc.error());
    if ((*doc)["auths"].erase(std::string(registry)) == 0) return false;
    if (auto ok = write_private_file(own_file_, doc->dump(2) + "\n"); !ok) return std::unexpected(ok.error());
    return true;
}

Result<std::vector<StoredLogin>> CredentialStore::list() const {
    std::vector<StoredLogin> logins;
    auto doc = read_own_file(own_file_);
    if (!doc) return std::unexpected(doc.error());
    for (const auto& [registry, value] : (*doc)["auths"].items()) {
        auto entry = docker_config_lookup(doc->dump(), registry);
        std::string username = entry && *entry && (*entry)->credentials ? (*entry)->credentials->username : "";
        logins.push_back(StoredLogin{registry, username, "clusterctl"});
    }
    auto docker_text = read_config_file(docker_config_, false);
    if (!docker_text) return std::unexpected(docker_text.error());
    if (!*docker_text) return logins;
    json docker = json::parse(**docker_text, nullptr, false);
    if (!docker.is_object()) return logins;
    if (auto auths = docker.find("auths"); auths != docker.end() && auths->is_object())
        for (const auto& [key, value] : auths->items()) {
            std::string registry = normalize_registry_key(key);
            auto entry = docker_config_lookup(**docker_text, registry);
            if (entry && *entry && (*entry)->credentials)
                logins.push_back(StoredLogin{registry, (*entry)->credentials->username, "docker config"});
        }
    if (auto helpers = docker.find("credHelpers"); helpers != docker.end() && helpers->is_object())
        for (const auto& [key, value] : helpers->items())
            if (value.is_string())
                logins.push_back(StoredLogin{normalize_registry_key(key), "",
                                             "credential helper docker-credential-" + value.get<std::string>()});
    return logins;
}

}  // namespace cc
