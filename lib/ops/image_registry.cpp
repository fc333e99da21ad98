#include "ops/image_registry.hpp"

#include <sys/utsname.h>

#include <atomic>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/local_paths.hpp"
#include "registry/image_transfer.hpp"
#include "registry/reference.hpp"

namespace cc {

namespace {

Result<std::unique_ptr<RegistryClient>> open_for(const RegistryContext& ctx, const std::string& registry) {
    return open_registry(ctx.config, registry, ctx.credentials);
}

Platform this_machine() {
    struct utsname u {};
    ::uname(&u);
    return platform_from_machine(u.machine);
}

std::uint64_t blob_bytes(const ImageManifest& m) {
    std::uint64_t total = m.config.size;
    for (const auto& l : m.layers) total += l.size;
    return total;
}

// Progress as the caller wants it, and the last total kept for the summary.
struct CountingProgress {
    const TransferProgress& outer;
    std::shared_ptr<std::atomic<std::uint64_t>> last = std::make_shared<std::atomic<std::uint64_t>>(0);
    TransferProgress callback() const {
        return [outer = &outer, last = last](std::uint64_t bytes) {
            last->store(bytes);
            if (*outer) (*outer)(bytes);
        };
    }
};

std::string platform_of_config(const std::string& config) {
    auto json = nlohmann::json::parse(config, nullptr, false);
    if (!json.is_object()) return {};
    Platform p;
    if (auto os = json.find("os"); os != json.end() && os->is_string()) p.os = os->get<std::string>();
    if (auto a = json.find("architecture"); a != json.end() && a->is_string()) p.architecture = a->get<std::string>();
    if (auto v = json.find("variant"); v != json.end() && v->is_string()) p.variant = v->get<std::string>();
    return p.architecture.empty() ? std::string() : p.to_string();
}

// A registry as `registry login` names it: HOST[:PORT], nothing more.
Result<std::string> check_registry_host(const std::string& registry) {
    auto ref = parse_image_ref(registry + "/probe");
    if (!ref || ref->registry != registry || registry.find('/') != std::string::npos)
        return fail(ErrorKind::invalid_input, fmt::format("\"{}\" is not a registry host (HOST or HOST:PORT)", registry));
    return registry;
}

// What fetch and upload both report about the image they moved.
ImageSummary summarize(const ImageRef& ref, const ImageBundle& image, std::uint64_t transferred,
                       const std::filesystem::path& file) {
    ImageSummary summary;
    summary.ref = ref.to_string();
    summary.digest = image.manifest.digest;
    summary.platform = platform_of_config(image.config);
    summary.layers = image.parsed.layers.size();
    summary.size = blob_bytes(image.parsed);
    summary.transferred = transferred;
    summary.file = file.string();
    return summary;
}

}  // namespace

Result<ArchiveFormat> parse_archive_format(const std::string& name) {
    if (name == "docker-archive") return ArchiveFormat::docker;
    if (name == "oci-archive") return ArchiveFormat::oci;
    return fail(ErrorKind::invalid_input, fmt::format("unknown archive format \"{}\" (docker-archive or oci-archive)", name));
}

Result<Platform> parse_platform(const std::string& text) {
    if (text.empty()) return this_machine();
    Platform p;
    auto first = text.find('/');
    if (first == std::string::npos || first == 0)
        return fail(ErrorKind::invalid_input, fmt::format("platform \"{}\" is not OS/ARCH[/VARIANT]", text));
    p.os = text.substr(0, first);
    auto rest = text.substr(first + 1);
    auto second = rest.find('/');
    p.architecture = rest.substr(0, second);
    if (second != std::string::npos) p.variant = rest.substr(second + 1);
    if (p.architecture.empty() || p.variant.find('/') != std::string::npos ||
        (second != std::string::npos && p.variant.empty()))
        return fail(ErrorKind::invalid_input, fmt::format("platform \"{}\" is not OS/ARCH[/VARIANT]", text));
    return p;
}

Result<ImageSummary> image_fetch(const RegistryContext& ctx, const ImageFetchRequest& request,
                                 const TransferProgress& progress) {
    auto ref = parse_image_ref(request.ref);
    if (!ref) return std::unexpected(ref.error());
    auto platform = parse_platform(request.platform);
    if (!platform) return std::unexpected(platform.error());
    std::error_code ec;
    if (std::filesystem::is_directory(request.output, ec))
        return fail(ErrorKind::invalid_input, fmt::format("\"{}\" is a directory; -o names the archive file", request.output.string()));
    auto client = open_for(ctx, ref->registry);
    if (!client) return std::unexpected(client.error());
    CountingProgress counting{progress};
    auto image = fetch_image(**client, *ref, *platform, ctx.cache, counting.callback(), ctx.parallel);
    if (!image) return std::unexpected(image.error());
    // The name loaders give the image: the full reference, so it is pulled from nowhere else.
    if (ref->digest.empty()) image->name = ref->to_string();
    if (auto r = write_archive(request.output, request.format, *image, ctx.cache); !r) return std::unexpected(r.error());
    return summarize(*ref, *image, counting.last->load(), request.output);
}

Result<ImageSummary> image_upload(const RegistryContext& ctx, const std::filesystem::path& file, const std::string& ref_text,
                                  const TransferProgress& progress) {
    auto ref = parse_image_ref(ref_text);
    if (!ref) return std::unexpected(ref.error());
    auto image = read_archive(file, ctx.cache);
    if (!image) return std::unexpected(image.error());
    auto client = open_for(ctx, ref->registry);
    if (!client) return std::unexpected(client.error());
    auto sent = upload_image(**client, *ref, *image, ctx.cache, progress, ctx.parallel);
    if (!sent) return std::unexpected(sent.error());
    return summarize(*ref, *image, *sent, file);
}

Result<ImageInspection> image_inspect(const RegistryContext& ctx, const std::string& ref_text, const std::string& platform_text) {
    auto ref = parse_image_ref(ref_text);
    if (!ref) return std::unexpected(ref.error());
    auto wanted = parse_platform(platform_text);
    if (!wanted) return std::unexpected(wanted.error());
    auto client = open_for(ctx, ref->registry);
    if (!client) return std::unexpected(client.error());
    auto raw = (*client)->get_manifest(ref->repository, ref->reference());
    if (!raw) return std::unexpected(raw.error());
    auto parsed = parse_manifest(*raw);
    if (!parsed) return std::unexpected(parsed.error());
    ImageInspection out;
    out.ref = ref->to_string();
    out.digest = raw->digest;
    out.media_type = raw->media_type;
    if (const auto* index = std::get_if<ImageIndex>(&*parsed)) {
        for (const auto& m : index->manifests)
            out.platforms.push_back({m.platform ? m.platform->to_string() : std::string("unknown"), m.digest, m.size});
        auto chosen = select_platform(*index, *wanted);
        if (!chosen) return std::unexpected(chosen.error());
        out.platform = chosen->platform ? chosen->platform->to_string() : std::string();
        raw = (*client)->get_manifest(ref->repository, chosen->digest);
        if (!raw) return std::unexpected(raw.error());
        parsed = parse_manifest(*raw);
        if (!parsed) return std::unexpected(parsed.error());
        if (!std::holds_alternative<ImageManifest>(*parsed))
            return fail(ErrorKind::remote, fmt::format("{}: the index entry for {} is itself an index", out.ref, out.platform));
    }
    const auto& manifest = std::get<ImageManifest>(*parsed);
    out.manifest_digest = raw->digest;
    out.config_digest = manifest.config.digest;
    for (const auto& l : manifest.layers) out.layers.push_back({l.media_type, l.digest, l.size});
    out.size = blob_bytes(manifest);
    return out;
}

Result<std::vector<std::string>> image_tags(const RegistryContext& ctx, const std::string& repository) {
    auto ref = parse_image_ref(repository);
    if (!ref) return std::unexpected(ref.error());
    auto slash = repository.rfind('/');
    if (repository.find('@') != std::string::npos ||
        repository.find(':', slash == std::string::npos ? 0 : slash) != std::string::npos)
        return fail(ErrorKind::invalid_input, fmt::format("\"{}\": name a repository, without a tag or digest", repository));
    auto client = open_for(ctx, ref->registry);
    if (!client) return std::unexpected(client.error());
    return (*client)->list_tags(ref->repository);
}

Result<std::vector<CachedBlob>> image_cache_list(const RegistryContext& ctx) { return ctx.cache.list(); }

Result<std::vector<CachedBlob>> image_cache_prune(const RegistryContext& ctx, std::chrono::seconds older_than) {
    return ctx.cache.prune(older_than);
}

Result<void> registry_login(const RegistryContext& ctx, const std::string& registry, const Credentials& credentials) {
    auto host = check_registry_host(registry);
    if (!host) return std::unexpected(host.error());
    if (credentials.username.empty() || credentials.password.empty())
        return fail(ErrorKind::invalid_input, "registry login needs a username and a password");
    // The settings open_registry would use, with these credentials rather than stored ones:
    // what the ping checks is what gets saved.
    RegistryOptions options;
    if (auto it = ctx.config.settings.registries.find(registry); it != ctx.config.settings.registries.end()) {
        options.ca_file = it->second.ca_file.empty() ? "" : expand_home(it->second.ca_file);
        options.insecure = it->second.insecure;
    }
    options.connect_timeout = ctx.config.settings.connect_timeout;
    options.credentials = credentials;
    options.retries = 0;
    auto client = RegistryClient::open(registry, options);
    if (!client) return std::unexpected(client.error());
    if (auto ping = (*client)->ping(); !ping) return std::unexpected(ping.error());
    return ctx.credentials.save(registry, credentials);
}

Result<bool> registry_logout(const RegistryContext& ctx, const std::string& registry) {
    auto host = check_registry_host(registry);
    if (!host) return std::unexpected(host.error());
    return ctx.credentials.remove(registry);
}

Result<std::vector<StoredLogin>> registry_list(const RegistryContext& ctx) { return ctx.credentials.list(); }

}  // namespace cc
