#include "ops/image_source.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/interrupt.hpp"
#include "registry/archive.hpp"
#include "registry/image_transfer.hpp"
#include "registry/reference.hpp"

extern char** environ;

namespace cc {

namespace {

namespace fs = std::filesystem;

// The platform an image's config says it is built for.
Result<Platform> config_platform(const ImageBundle& bundle) {
    auto doc = nlohmann::json::parse(bundle.config, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return fail(ErrorKind::invalid_input, "the image's config is not a JSON object");
    Platform platform;
    auto text = [&](const char* key) {
        auto it = doc.find(key);
        return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    platform.os = text("os");
    platform.architecture = text("architecture");
    platform.variant = text("variant");
    if (platform.os.empty() || platform.architecture.empty())
        return fail(ErrorKind::invalid_input, "the image's config names no os/architecture");
    return platform;
}

// As select_platform matches an index entry: os and architecture, and the variant when both name one.
bool fits(const Platform& have, const Platform& wanted) {
    return have.os == wanted.os && have.architecture == wanted.architecture &&
           (have.variant.empty() || wanted.variant.empty() || have.variant == wanted.variant);
}

// An archive or a local store image: one image, so one platform; read once, when opened.
class SingleImageSource : public ImageSource {
public:
    SingleImageSource(std::string description, ImageBundle bundle, Platform platform)
        : description_(std::move(description)), bundle_(std::move(bundle)), platform_(std::move(platform)) {}

    Result<ImageBundle> for_platform(const Platform& platform) override {
        if (!fits(platform_, platform))
            return fail(ErrorKind::not_found, fmt::format("{} is an image for {}, not for {}", description_,
                                                          platform_.to_string(), platform.to_string()));
        return bundle_;
    }
    std::string default_name() const override { return bundle_.name; }
    std::string describe() const override { return description_; }

private:
    std::string description_;
    ImageBundle bundle_;
    Platform platform_;
};

Result<std::unique_ptr<ImageSource>> single_image(std::string description, Result<ImageBundle> bundle) {
    if (!bundle) return fail(bundle.error().kind, fmt::format("{}: {}", description, bundle.error().message));
    auto platform = config_platform(*bundle);
    if (!platform) return fail(platform.error().kind, fmt::format("{}: {}", description, platform.error().message));
    if (bundle->name.empty())
        return fail(ErrorKind::invalid_input, fmt::format("{} names no image (no repository:tag in it)", description));
    return std::make_unique<SingleImageSource>(std::move(description), std::move(*bundle), std::move(*platform));
}

// A private directory for a local store's save, removed with everything in it.
class PrivateTempDir {
public:
    static Result<PrivateTempDir> make() {
        std::string pattern = (fs::temp_directory_path() / "clusterctl-save-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr)
            return fail(ErrorKind::io, fmt::format("cannot create a temporary directory: {}", std::strerror(errno)));
        return PrivateTempDir(pattern);
    }
    PrivateTempDir(PrivateTempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}
    PrivateTempDir& operator=(PrivateTempDir&&) = delete;
    ~PrivateTempDir() {
        std::error_code ignored;
        if (!path_.empty()) fs::remove_all(path_, ignored);
    }
    const fs::path& path() const { return path_; }

private:
    explicit PrivateTempDir(fs::path path) : path_(std::move(path)) {}
    fs::path path_;
};

// Runs argv locally (no shell), stdout to /dev/null, the last of stderr kept for the
// message; Ctrl-C stops it.
Result<void> run_local(const std::vector<std::string>& argv) {
    int err_pipe[2];
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) return fail(ErrorKind::io, fmt::format("pipe: {}", std::strerror(errno)));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    int spawned = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(err_pipe[1]);
    if (spawned != 0) {
        ::close(err_pipe[0]);
        return fail(ErrorKind::not_found, fmt::format("cannot run {}: {}", argv[0], std::strerror(spawned)));
    }
    ::fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
    std::string err;
    int status = 0;
    bool interrupted = false;
    for (;;) {
        char buffer[4096];
        ssize_t got;
        while ((got = ::read(err_pipe[0], buffer, sizeof buffer)) > 0) {
            err.append(buffer, static_cast<std::size_t>(got));
            if (err.size() > 8192) err.erase(0, err.size() - 4096);  // the end says why
        }
        pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) break;
        if (!interrupted && interrupt_requested()) {
            ::kill(pid, SIGTERM);
            interrupted = true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::close(err_pipe[0]);
    if (interrupted) return fail(ErrorKind::interrupted, fmt::format("{} interrupted", argv[0]));
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
    while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
    auto newline = err.rfind('\n');
    std::string why = newline == std::string::npos ? err : err.substr(newline + 1);
    if (why.empty()) why = WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status)) : "killed by a signal";
    return fail(ErrorKind::remote, fmt::format("{} {}: {}", argv[0], argv[1], why));
}

// `podman:NAME` / `docker-daemon:NAME`: saved once to a private temporary file, read
// into the cache as an archive, and the file removed.
Result<ImageBundle> save_local_image(const std::string& program, const std::string& name, const BlobCache& cache) {
    auto dir = PrivateTempDir::make();
    if (!dir) return std::unexpected(dir.error());
    const fs::path file = dir->path() / "image.tar";
    auto saved = run_local({program, "save", "-o", file.string(), "--", name});
    if (!saved) return std::unexpected(saved.error());
    auto bundle = read_archive(file, cache);
    if (bundle && bundle->name.empty()) bundle->name = name;
    return bundle;
}

// A registry reference: each platform's manifest, config and layers fetched once
// into the cache, the first time a node of that platform asks.
class RegistrySource : public ImageSource {
public:
    RegistrySource(ImageRef ref, std::unique_ptr<RegistryClient> client, const BlobCache& cache,
                   TransferProgress progress)
        : ref_(std::move(ref)), client_(std::move(client)), cache_(cache), progress_(std::move(progress)) {}

    Result<ImageBundle> for_platform(const Platform& platform) override {
        // Held while fetching: a second node of the same platform waits for this fetch
        // instead of starting its own.
        std::lock_guard lock(mutex_);
        const std::string key = platform.to_string();
        if (auto it = bundles_.find(key); it != bundles_.end()) return it->second;
        auto bundle = fetch_image(*client_, ref_, platform, cache_, progress_);
        if (!bundle) return fail(bundle.error().kind, fmt::format("{}: {}", describe(), bundle.error().message));
        bundle->name = default_name();
        return bundles_.emplace(key, std::move(*bundle)).first->second;
    }
    // The reference itself, so `podman run REF` on a node finds what was pushed.
    std::string default_name() const override {
        return ref_.digest.empty() ? ref_.to_string() : fmt::format("{}/{}:latest", ref_.registry, ref_.repository);
    }
    std::string describe() const override { return ref_.to_string(); }

private:
    ImageRef ref_;
    std::unique_ptr<RegistryClient> client_;
    const BlobCache& cache_;
    TransferProgress progress_;
    std::mutex mutex_;
    std::map<std::string, ImageBundle> bundles_;
};

Result<std::unique_ptr<ImageSource>> open_registry_source(const OpsContext& ctx, const std::string& text,
                                                          const BlobCache& cache, const TransferProgress& progress) {
    auto ref = parse_image_ref(text);
    if (!ref)
        return fail(ErrorKind::invalid_input,
                    fmt::format("\"{}\" is no file, no podman:/docker-daemon: image and no image reference: {}", text,
                                ref.error().message));
    // open_registry reads only the settings part of a Config ([registry."HOST"], timeouts).
    Config config;
    config.settings = ctx.settings;
    auto client = open_registry(config, ref->registry);
    if (!client) return std::unexpected(client.error());
    return std::make_unique<RegistrySource>(std::move(*ref), std::move(*client), cache, progress);
}

}  // namespace

Result<std::unique_ptr<ImageSource>> open_image_source(const OpsContext& ctx, std::string_view source,
                                                       const BlobCache& cache, const TransferProgress& progress) {
    const std::string text(source);
    for (const auto& [prefix, program] : {std::pair{"podman:", "podman"}, std::pair{"docker-daemon:", "docker"}}) {
        if (!text.starts_with(prefix)) continue;
        const std::string name = text.substr(std::strlen(prefix));
        if (name.empty() || name.starts_with("-"))
            return fail(ErrorKind::invalid_input, fmt::format("\"{}\" names no local image", text));
        return single_image(fmt::format("{} image {}", program, name), save_local_image(program, name, cache));
    }
    for (const char* prefix : {"docker-archive:", "oci-archive:"}) {
        if (!text.starts_with(prefix)) continue;
        const fs::path file = text.substr(std::strlen(prefix));
        return single_image(fmt::format("archive {}", file.string()), read_archive(file, cache));
    }
    std::error_code ec;
    if (fs::is_regular_file(text, ec))
        return single_image(fmt::format("archive {}", text), read_archive(text, cache));
    return open_registry_source(ctx, text, cache, progress);
}

}  // namespace cc
