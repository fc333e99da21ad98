// `image push SOURCE --to NODESET`: serve the image to each node's runtime over SSH.
#include <cstdio>
#include <thread>
#include <unistd.h>

#include <fmt/format.h>

#include "app.hpp"
#include "core/units.hpp"
#include "exit_codes.hpp"
#include "nodeset_option.hpp"
#include "ops/image_push.hpp"
#include "ops/image_source.hpp"
#include "views/push_view.hpp"

namespace cc::cli {

namespace {

// "pushing: 3/10 nodes done, 120.0 MiB sent" rewritten in place on a terminal's stderr.
class ProgressLine {
public:
    explicit ProgressLine(const PushProgress& progress, bool enabled) : progress_(progress) {
        if (!enabled) return;
        thread_ = std::thread([this] {
            while (!done_) {
                std::fputs(fmt::format("\rpushing: {}/{} nodes done, {} sent\x1b[K", progress_.nodes_done.load(),
                                       progress_.nodes_total.load(), format_bytes(progress_.bytes_sent.load()))
                               .c_str(),
                           stderr);
                std::fflush(stderr);
                for (int i = 0; i < 5 && !done_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
            std::fputs("\r\x1b[K", stderr);
            std::fflush(stderr);
        });
    }
    ~ProgressLine() {
        done_ = true;
        if (thread_.joinable()) thread_.join();
    }

private:
    const PushProgress& progress_;
    std::atomic<bool> done_{false};
    std::thread thread_;
};

}  // namespace

void add_image_push_command(CLI::App& image, App& ctx) {
    struct Options {
        std::string source, nodeset, name, platform;
    };
    auto opts = std::make_shared<Options>();
    auto* cmd = image.add_subcommand(
        "push", "send an image to nodes over SSH: each node's runtime receives only the layers it lacks");
    cmd->add_option("source", opts->source,
                    "registry reference, archive file (docker-archive:/oci-archive:), or podman:/docker-daemon: image")
        ->required();
    add_nodeset_option(*cmd, "--to", opts->nodeset, "NODESET to push to")->required();
    cmd->add_option("--name", opts->name, "REPO:TAG the image gets on the nodes (default: the source's name)");
    cmd->add_option("--platform", opts->platform, "OS/ARCH for every node (default: each node's own, from its facts)");
    cmd->callback([&ctx, opts] {
        run_command(ctx, [&]() -> Result<int> {
            ImagePushRequest request;
            request.nodeset = opts->nodeset;
            request.name = opts->name;
            if (!opts->platform.empty()) {
                auto platform = parse_platform(opts->platform);
                if (!platform) return std::unexpected(platform.error());
                request.platform = *platform;
            }
            auto ops = ctx.ops();
            if (!ops) return std::unexpected(ops.error());
            auto cache = BlobCache::open(default_blob_cache_dir());
            if (!cache) return std::unexpected(cache.error());
            auto source = open_image_source(**ops, opts->source, *cache, {});
            if (!source) return std::unexpected(source.error());
            const Printer& p = ctx.printer();
            PushProgress progress;
            request.progress = &progress;
            request.idle_timeout = std::max((*ops)->settings.command_timeout, std::chrono::milliseconds(1000));
            std::optional<ProgressLine> line;
            line.emplace(progress, !p.quiet && ::isatty(STDERR_FILENO));
            auto outcomes = push_image(**ops, **source, *cache, request);
            line.reset();
            if (!outcomes) return std::unexpected(outcomes.error());
            std::size_t failed = 0;
            std::uint64_t sent = 0;
            for (const auto& o : *outcomes) {
                failed += o.status == NodeStatus::ok ? 0 : 1;
                sent += o.value.bytes_sent;
            }
            p.list(*outcomes, push_outcome_columns());
            p.note(fmt::format("{} pushed, {} failed, {} sent", outcomes->size() - failed, failed, format_bytes(sent)));
            return fanout_exit_code(*outcomes);
        });
    });
}

}  // namespace cc::cli
