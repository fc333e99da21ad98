#include "registry_context.hpp"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "core/units.hpp"

namespace cc::cli {

Result<RegistryContext> RegistrySession::open() {
    auto config = app_.config();
    if (!config) return std::unexpected(config.error());
    if (!cache_) {
        auto cache = BlobCache::open(default_blob_cache_dir());
        if (!cache) return std::unexpected(cache.error());
        cache_.emplace(std::move(*cache));
    }
    if (!credentials_) credentials_.emplace(CredentialStore::open_default());
    return RegistryContext{**config, *cache_, *credentials_};
}

ProgressLine::ProgressLine(const Printer& printer, const char* verb)
    : enabled_(!printer.quiet && printer.format != Format::json && ::isatty(STDERR_FILENO)), verb_(verb) {}

ProgressLine::~ProgressLine() {
    if (drawn_) std::fputs("\r\033[K", stderr);
}

TransferProgress ProgressLine::callback() {
    if (!enabled_) return {};
    return [this](std::uint64_t bytes) { draw(bytes); };
}

void ProgressLine::draw(std::uint64_t bytes) {
    std::lock_guard lock(mutex_);
    auto now = std::chrono::steady_clock::now();
    if (drawn_ && now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    drawn_ = true;
    std::fputs(fmt::format("\r\033[K{} {}", verb_, format_bytes(bytes)).c_str(), stderr);
    std::fflush(stderr);
}

}  // namespace cc::cli
