#include "ops/image_push.hpp"

#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "registry/serve.hpp"
#include "remote/command.hpp"
#include "runtime/runtime.hpp"

namespace cc {

namespace {

using std::chrono::milliseconds;

// Names the repository clusterctl serves (docker pulls it under that name before
// renaming), so that two pushes at once (or a name the node has already) never meet.
std::string random_token() {
    std::random_device device;
    return fmt::format("{:08x}{:08x}", device(), device());
}

// Adds what each handler hands out to the push's live total.
class CountedHandler final : public StreamHandler {
public:
    CountedHandler(std::unique_ptr<StreamHandler> inner, std::atomic<std::uint64_t>* total)
        : inner_(std::move(inner)), total_(total) {}
    void received(std::string_view bytes, bool eof) override { inner_->received(bytes, eof); }
    std::size_t next_output(std::span<char> buffer) override {
        auto n = inner_->next_output(buffer);
        if (total_) *total_ += n;
        return n;
    }
    bool finished() const override { return inner_->finished(); }

private:
    std::unique_ptr<StreamHandler> inner_;
    std::atomic<std::uint64_t>* total_;
};

// One platform's image, resolved once before any node is contacted, served to all its nodes.
struct PlatformImage {
    std::optional<Error> error;
    ImageBundle bundle;
    ServedImages served;
};

constexpr const char* kServedRepository = "clusterctl-push";

std::string last_line(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    auto nl = text.rfind('\n');
    return std::string(nl == std::string_view::npos ? text : text.substr(nl + 1));
}

// The forward on a connection of its own, on a thread of its own; stopped and
// joined on every way out of the node's work.
class NodeForward {
public:
    NodeForward(std::unique_ptr<Connection> connection, const ServedImages& served, const BlobCache& cache,
                ServeCounters& counters, std::atomic<std::uint64_t>* total, milliseconds idle_timeout)
        : connection_(std::move(connection)) {
        thread_ = std::thread([this, &served, &cache, &counters, total, idle_timeout] {
            auto result = connection_->serve_remote_port(
                "127.0.0.1",
                [this](int port) {
                    std::lock_guard lock(mutex_);
                    port_ = port;
                    changed_.notify_all();
                },
                [&served, &cache, &counters, total] {
                    return std::make_unique<CountedHandler>(make_registry_responder(served, cache, counters), total);
                },
                stop_, idle_timeout);
            // A forward that failed drops its connection: the node's sshd then closes the
            // listener and the runtime's sockets, so its pull fails now, not at its deadline.
            if (!result) connection_.reset();
            std::lock_guard lock(mutex_);
            result_ = std::move(result);
            over_ = true;
            changed_.notify_all();
        });
    }
    ~NodeForward() { stop(); }

    // The port the node listens on, or the error that kept it from listening.
    Result<int> port() {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return port_ != 0 || over_; });
        if (port_ != 0) return port_;
        return std::unexpected(result_.error());
    }
    Result<ForwardStats> stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
        return result_;
    }
private:
    std::unique_ptr<Connection> connection_;
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::condition_variable changed_;
    int port_ = 0;
    bool over_ = false;
    Result<ForwardStats> result_ = ForwardStats{};
    std::thread thread_;
};

}  // namespace

Result<Platform> parse_platform(std::string_view text) {
    Platform p;
    std::vector<std::string> parts;
    std::size_t at = 0;
    for (;;) {
        auto slash = text.find('/', at);
        parts.emplace_back(text.substr(at, slash == std::string_view::npos ? std::string_view::npos : slash - at));
        if (slash == std::string_view::npos) break;
        at = slash + 1;
    }
    bool valid = (parts.size() == 2 || parts.size() == 3);
    for (const auto& part : parts)
        valid = valid && !part.empty() && part.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
    if (!valid) return fail(ErrorKind::invalid_input, fmt::format("invalid platform \"{}\" (expected OS/ARCH[/VARIANT], e.g. linux/arm64)", text));
    p.os = parts[0];
    p.architecture = parts[1];
    if (parts.size() == 3) p.variant = parts[2];
    return p;
}

std::pair<std::string, std::string> split_image_name(const std::string& name) {
    auto at = name.find('@');
    std::string base = at == std::string::npos ? name : name.substr(0, at);
    auto colon = base.rfind(':');
    auto slash = base.rfind('/');
    if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return {base, "latest"};
    return {base.substr(0, colon), base.substr(colon + 1)};
}

Result<std::vector<NodeResult<ImagePushOutput>>> push_image(OpsContext& ctx, ImageSource& source,
                                                            const BlobCache& cache, const ImagePushRequest& request,
                                                            const OnNodeDone<ImagePushOutput>& on_done) {
    auto nodes = resolve_nodes(ctx, request.nodeset);
    if (!nodes) return std::unexpected(nodes.error());
    const std::string name = request.name.empty() ? source.default_name() : request.name;
    if (name.empty() || name.find_first_of(" \t\r\n") != std::string::npos)
        return fail(ErrorKind::invalid_input, fmt::format("invalid image name \"{}\"", name));
    auto [repository, tag] = split_image_name(name);
    const std::string final_name = repository + ":" + tag;
    if (auto ok = check_image_name(repository, tag); !ok) return std::unexpected(ok.error());

    // Each platform's image is resolved once, before any node is contacted, so
    // every source blob is read or fetched once whatever the number of nodes.
    const std::string served_repository = fmt::format("{}/{}", kServedRepository, random_token());
    std::map<std::string, PlatformImage> images;  // by platform
    std::map<std::string, std::string> platform_of;  // node → platform
    std::map<std::string, Error> unusable;           // node → why it cannot be pushed to
    for (const auto& node : *nodes) {
        Platform platform;
        if (request.platform) platform = *request.platform;
        else if (node.facts && !node.facts->arch.empty()) platform = platform_from_machine(node.facts->arch);
        else {
            unusable.emplace(node.name, Error{ErrorKind::invalid_input,
                                              fmt::format("node \"{}\" has no facts: run `clusterctl node facts {}` first",
                                                          node.name, node.name)});
            continue;
        }
        std::string key = platform.to_string();
        platform_of[node.name] = key;
        if (images.contains(key)) continue;
        auto& image = images[key];
        auto bundle = source.for_platform(platform);
        if (!bundle) image.error = bundle.error();
        else {
            image.bundle = std::move(*bundle);
            image.served.add(served_repository, tag, image.bundle);
        }
    }
    if (request.progress) request.progress->nodes_total = nodes->size();

    auto work = [&](Connection& c, const Node& node, ImagePushOutput& out) -> Result<NodeStatus> {
        if (auto it = unusable.find(node.name); it != unusable.end()) return std::unexpected(it->second);
        out.image = final_name;
        out.platform = platform_of.at(node.name);
        const PlatformImage& image = images.at(out.platform);
        if (image.error) return std::unexpected(*image.error);
        out.digest = image.bundle.manifest.digest;
        out.layers = image.bundle.parsed.layers.size();
        auto kind = runtime_kind(node.facts ? node.facts->runtime : "");
        if (!kind) return std::unexpected(kind.error());
        out.runtime = runtime_name(*kind);
        Runtime runtime(*kind);

        auto forward_connection = connect_pinned(ctx, node);
        if (!forward_connection) return std::unexpected(forward_connection.error());
        ServeCounters counters;
        NodeForward forward(std::move(*forward_connection), image.served, cache, counters,
                            request.progress ? &request.progress->bytes_sent : nullptr, request.idle_timeout);
        auto port = forward.port();
        if (!port) return std::unexpected(port.error());

        auto line = runtime.install_served_line(fmt::format("127.0.0.1:{}/{}", *port, served_repository), repository, tag);
        if (!line) return std::unexpected(line.error());
        auto installed = c.exec(with_remote_deadline(*line, request.pull_timeout), request.pull_timeout);
        auto stats = forward.stop();
        if (stats) out.bytes_sent = stats->bytes_sent;
        out.blob_bytes = counters.blob_bytes;
        out.layers_sent = std::min<std::size_t>(counters.layer_gets, out.layers);
        out.layers_reused = out.layers - out.layers_sent;
        if (!installed || installed->exit_status != 0) {
            // The forward's own error explains a failed pull best (the registry side ended early).
            if (!stats) return std::unexpected(stats.error());
            if (!installed) return std::unexpected(installed.error());
            out.detail = last_line(installed->err.empty() ? installed->out : installed->err);
            return NodeStatus::failed;
        }
        return NodeStatus::ok;
    };
    auto done = [&](const NodeResult<ImagePushOutput>& result) {
        if (request.progress) ++request.progress->nodes_done;
        if (on_done) on_done(result);
    };
    return run_on_nodes<ImagePushOutput>(ctx, *nodes, work, done);
}

}  // namespace cc
