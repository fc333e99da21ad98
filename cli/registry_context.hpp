// The registry side's shared objects for `image fetch|upload|inspect|tags|cache`
// and `registry …`: config, the blob cache and the credential store, opened on
// first use; and the progress line they show on a terminal.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include "app.hpp"
#include "ops/image_registry.hpp"

namespace cc::cli {

class RegistrySession {
public:
    explicit RegistrySession(App& app) : app_(app) {}
    Result<RegistryContext> open();

private:
    App& app_;
    std::optional<BlobCache> cache_;
    std::optional<CredentialStore> credentials_;
};

// Bytes moved so far, redrawn on one stderr line at most 5 times a second, only when
// stderr is a terminal and -q was not given (pipes and cron logs stay quiet).
class ProgressLine {
public:
    ProgressLine(const Printer& printer, const char* verb);
    ~ProgressLine();  // ends the line when anything was drawn
    TransferProgress callback();

private:
    void draw(std::uint64_t bytes);
    bool enabled_ = false;
    const char* verb_;
    std::mutex mutex_;
    std::chrono::steady_clock::time_point last_{};
    bool drawn_ = false;
};

}  // namespace cc::cli
