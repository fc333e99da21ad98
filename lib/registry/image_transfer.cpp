#include "registry/image_transfer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "core/interrupt.hpp"
#include "core/local_paths.hpp"

namespace cc {

namespace {

// Sums per-blob progress from several threads into one running total.
class ProgressTotal {
public:
    explicit ProgressTotal(const TransferProgress& report) : report_(report) {}
    TransferProgress for_blob(std::size_t index) {
        return [this, index](std::uint64_t bytes) {
            if (!report_) return;
            std::lock_guard lock(mutex_);
            total_ += bytes - done_[index];
            done_[index] = bytes;
            report_(total_);
        };
    }

private:
    const TransferProgress& report_;
    std::mutex mutex_;
    std::map<std::size_t, std::uint64_t> done_;
    std::uint64_t total_ = 0;
};

// Runs work(i) for i in [0, count) on up to `parallel` threads; the first error stops new work.
Result<void> run_parallel(std::size_t count, int parallel, const std::function<Result<void>(std::size_t)>& work) {
    std::atomic<std::size_t> next{0};
    std::mutex mutex;
    std::optional<Error> first_error;
    auto worker = [&] {
        for (;;) {
            {
                std::lock_guard lock(mutex);
                if (first_error) return;
            }
            std::size_t index = next++;
            if (index >= count) return;
            if (interrupt_requested()) {
                std::lock_guard lock(mutex);
                if (!first_error) first_error = Error{ErrorKind::interrupted, "interrupted"};
                return;
            }
            if (auto ok = work(index); !ok) {
                std::lock_guard lock(mutex);
                if (!first_error) first_error = ok.error();
                return;
            }
        }
    };
    std::size_t threads = std::min<std::size_t>(count, static_cast<std::size_t>(std::max(parallel, 1)));
    std::vector<std::jthread> pool;
    for (std::size_t i = 1; i < threads; ++i) pool.emplace_back(worker);
    worker();
    pool.clear();  // joins
    if (first_error) return std::unexpected(*first_error);
    return {};
}

// Config first, then layers, each digest once (an image may repeat an empty layer).
std::vector<Descriptor> unique_blobs(const ImageManifest& manifest) {
    std::vector<Descriptor> blobs{manifest.config};
    std::set<std::string> seen{manifest.config.digest};
    for (const auto& layer : manifest.layers)
        if (seen.insert(layer.digest).second) blobs.push_back(layer);
    return blobs;
}

}  // namespace

Result<ImageBundle> fetch_image(RegistryClient& client, const ImageRef& ref, const Platform& platform,
                                const BlobCache& cache, const TransferProgress& progress, int parallel) {
    auto raw = client.get_manifest(ref.repository, ref.reference());
    if (!raw) return std::unexpected(raw.error());
    auto parsed = parse_manifest(*raw);
    if (!parsed) return std::unexpected(parsed.error());
    if (auto* index = std::get_if<ImageIndex>(&*parsed)) {
        auto entry = select_platform(*index, platform);
        if (!entry) return fail(entry.error().kind, fmt::format("{}: {}", ref.to_string(), entry.error().message));
        raw = client.get_manifest(ref.repository, entry->digest);
        if (!raw) return std::unexpected(raw.error());
        parsed = parse_manifest(*raw);
        if (!parsed) return std::unexpected(parsed.error());
        if (!std::holds_alternative<ImageManifest>(*parsed))
            return fail(ErrorKind::remote, fmt::format("{}: an index inside an index is not supported", ref.to_string()));
    }
    ImageBundle bundle;
    bundle.name = ref.repository + (ref.tag.empty() ? "" : ":" + ref.tag);
    bundle.manifest = std::move(*raw);
    bundle.parsed = std::get<ImageManifest>(*parsed);
    if (auto stored = cache.put(bundle.manifest.digest, bundle.manifest.bytes); !stored)
        return std::unexpected(stored.error());

    auto blobs = unique_blobs(bundle.parsed);
    ProgressTotal total(progress);
    auto fetched = run_parallel(blobs.size(), parallel, [&](std::size_t i) {
        return client.fetch_blob(ref.repository, blobs[i], cache, total.for_blob(i));
    });
    if (!fetched) return std::unexpected(fetched.error());
    auto config = cache.read_small(bundle.parsed.config.digest);
    if (!config) return std::unexpected(config.error());
    bundle.config = std::move(*config);
    return bundle;
}

Result<std::uint64_t> upload_image(RegistryClient& client, const ImageRef& target, const ImageBundle& image,
                                   const BlobCache& cache, const TransferProgress& progress, int parallel) {
    if (!target.digest.empty() && target.digest != image.manifest.digest)
        return fail(ErrorKind::invalid_input, fmt::format("{}: the image's manifest digest is {}", target.to_string(),
                                                          image.manifest.digest));
    auto blobs = unique_blobs(image.parsed);
    for (const auto& blob : blobs)
        if (!cache.has(blob.digest)) return fail(ErrorKind::not_found, fmt::format("blob {} is not in the cache", blob.digest));
    ProgressTotal total(progress);
    std::atomic<std::uint64_t> sent{0};
    auto uploaded = run_parallel(blobs.size(), parallel, [&](std::size_t i) -> Result<void> {
        auto bytes = client.upload_blob(target.repository, blobs[i], cache.path_of(blobs[i].digest), total.for_blob(i));
        if (!bytes) return std::unexpected(bytes.error());
        sent += *bytes;
        return {};
    });
    if (!uploaded) return std::unexpected(uploaded.error());
    if (auto put = client.put_manifest(target.repository, target.reference(), image.manifest); !put)
        return std::unexpected(put.error());
    return sent.load();
}

Result<std::unique_ptr<RegistryClient>> open_registry(const Config& config, const std::string& registry,
                                                      const CredentialStore& credentials) {
    RegistryOptions options;
    if (auto it = config.settings.registries.find(registry); it != config.settings.registries.end()) {
        options.ca_file = it->second.ca_file.empty() ? "" : expand_home(it->second.ca_file);
        options.insecure = it->second.insecure;
    }
    options.connect_timeout = config.settings.connect_timeout;
    auto found = credentials.lookup(registry);
    if (!found) return std::unexpected(found.error());
    options.credentials = std::move(*found);
    return RegistryClient::open(registry, std::move(options));
}

Result<std::unique_ptr<RegistryClient>> open_registry(const Config& config, const std::string& registry) {
    return open_registry(config, registry, CredentialStore::open_default());
}

}  // namespace cc
