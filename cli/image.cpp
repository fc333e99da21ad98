// `image …` (fetch, upload, inspect, tags, cache): flags → lib/ops → printer.
// The node-side commands (pull, ls, rm, push) register from their own files.
#include <fmt/format.h>

#include "app.hpp"
#include "core/units.hpp"
#include "exit_codes.hpp"
#include "ops/image_registry.hpp"
#include "registry_context.hpp"
#include "views/image_view.hpp"

namespace cc::cli {

namespace {

// A command body with the registry context opened.
template <class F>
std::function<void()> registry_body(App& ctx, std::shared_ptr<RegistrySession> session, F f) {
    return [&ctx, session, f] {
        run_command(ctx, [&]() -> Result<int> {
            auto rc = session->open();
            if (!rc) return std::unexpected(rc.error());
            return f(*rc, ctx.printer());
        });
    };
}

void print_summary(const Printer& p, const ImageSummary& s, const char* verb) {
    if (p.format == Format::json) {
        p.json(json_object(s, image_summary_columns()));
        return;
    }
    if (p.format == Format::wide) {
        p.table(std::vector<ImageSummary>{s}, image_summary_columns());
        return;
    }
    p.line(fmt::format("{} {} ({}, {} layers, {}, {} transferred) {}", verb, s.ref, s.platform.empty() ? "-" : s.platform,
                       s.layers, format_bytes(s.size), format_bytes(s.transferred), s.digest));
}

void add_fetch(CLI::App& image, App& ctx, std::shared_ptr<RegistrySession> session) {
    auto req = std::make_shared<ImageFetchRequest>();
    auto format = std::make_shared<std::string>("docker-archive");
    auto output = std::make_shared<std::string>();
    auto* cmd = image.add_subcommand("fetch", "download an image from a registry into an archive file");
    cmd->add_option("ref", req->ref, "image reference, e.g. reg.lab:5000/team/cuda:12.4")->required();
    // -o here is the file, as in docker/podman save; `clusterctl -o json image fetch …` sets the format
    cmd->add_option("-o,--file", *output, "archive file to write (replaced only once complete)")->required();
    cmd->add_option("--format", *format, "docker-archive (default) or oci-archive");
    cmd->add_option("--platform", req->platform, "OS/ARCH[/VARIANT] from a multi-platform image (default: this machine's)");
    cmd->callback(registry_body(ctx, session, [req, format, output](const RegistryContext& rc, const Printer& p) -> Result<int> {
        auto f = parse_archive_format(*format);
        if (!f) return std::unexpected(f.error());
        req->format = *f;
        req->output = *output;
        ProgressLine progress(p, "fetched");
        auto summary = image_fetch(rc, *req, progress.callback());
        if (!summary) return std::unexpected(summary.error());
        print_summary(p, *summary, "fetched");
        return kExitOk;
    }));
}

void add_upload(CLI::App& image, App& ctx, std::shared_ptr<RegistrySession> session) {
    struct Options {
        std::string file, ref;
    };
    auto opts = std::make_shared<Options>();
    auto* cmd = image.add_subcommand("upload", "push an image archive (docker-archive or oci-archive) to a registry");
    cmd->add_option("file", opts->file, "archive file (podman save, docker save, skopeo, image fetch)")->required();
    cmd->add_option("ref", opts->ref, "where it goes, e.g. reg.lab:5000/team/cuda:12.4")->required();
    cmd->callback(registry_body(ctx, session, [opts](const RegistryContext& rc, const Printer& p) -> Result<int> {
        ProgressLine progress(p, "uploaded");
        auto summary = image_upload(rc, opts->file, opts->ref, progress.callback());
        if (!summary) return std::unexpected(summary.error());
        print_summary(p, *summary, "uploaded");
        return kExitOk;
    }));
}

void add_inspect(CLI::App& image, App& ctx, std::shared_ptr<RegistrySession> session) {
    struct Options {
        std::string ref, platform;
    };
    auto opts = std::make_shared<Options>();
    auto* cmd = image.add_subcommand("inspect", "an image's platforms, layers, sizes and digest, from its registry");
    cmd->add_option("ref", opts->ref, "image reference")->required();
    cmd->add_option("--platform", opts->platform, "OS/ARCH[/VARIANT] whose layers to list (default: this machine's)");
    cmd->callback(registry_body(ctx, session, [opts](const RegistryContext& rc, const Printer& p) -> Result<int> {
        auto i = image_inspect(rc, opts->ref, opts->platform);
        if (!i) return std::unexpected(i.error());
        if (p.format == Format::json) {
            p.json(inspection_json(*i));
            return kExitOk;
        }
        p.line(fmt::format("{}\n  digest: {}\n  media type: {}", i->ref, i->digest, i->media_type));
        if (!i->platforms.empty()) {
            p.line("platforms:");
            p.table(i->platforms, platform_entry_columns());
        }
        p.line(fmt::format("{}manifest {} ({} layers, {})", i->platform.empty() ? "" : i->platform + " ", i->manifest_digest,
                           i->layers.size(), format_bytes(i->size)));
        p.line(fmt::format("  config: {}", i->config_digest));
        p.table(i->layers, inspected_layer_columns());
        return kExitOk;
    }));
}

void add_tags(CLI::App& image, App& ctx, std::shared_ptr<RegistrySession> session) {
    auto repository = std::make_shared<std::string>();
    auto* cmd = image.add_subcommand("tags", "the tags of a repository");
    cmd->add_option("repository", *repository, "e.g. reg.lab:5000/team/cuda")->required();
    cmd->callback(registry_body(ctx, session, [repository](const RegistryContext& rc, const Printer& p) -> Result<int> {
        auto tags = image_tags(rc, *repository);
        if (!tags) return std::unexpected(tags.error());
        if (p.format == Format::json) p.json(*tags);
        else
            for (const auto& t : *tags) p.line(t);
        return kExitOk;
    }));
}

void add_cache(CLI::App& image, App& ctx, std::shared_ptr<RegistrySession> session) {
    auto* cache = image.add_subcommand("cache", "the local blob cache ($XDG_CACHE_HOME/clusterctl/blobs)");
    cache->require_subcommand(1);
    auto* ls = cache->add_subcommand("ls", "cached blobs, their sizes and when they were last used");
    ls->callback(registry_body(ctx, session, [](const RegistryContext& rc, const Printer& p) -> Result<int> {
        auto blobs = image_cache_list(rc);
        if (!blobs) return std::unexpected(blobs.error());
        std::uint64_t total = 0;
        for (const auto& b : *blobs) total += b.size;
        p.list(*blobs, cached_blob_columns());
        p.note(fmt::format("{} blobs, {}", blobs->size(), format_bytes(total)));
        return kExitOk;
    }));
    auto older = std::make_shared<std::string>("0s");
    auto* prune = cache->add_subcommand("prune", "remove cached blobs (all, or those unused for a while)");
    prune->add_option("--older-than", *older, "keep blobs used within this long (e.g. 7d, 12h); default: remove all");
    prune->callback(registry_body(ctx, session, [older](const RegistryContext& rc, const Printer& p) -> Result<int> {
        std::chrono::seconds keep{0};
        if (*older != "0s" && *older != "0") {
            auto d = parse_duration(*older);
            if (!d) return std::unexpected(d.error());
            keep = std::chrono::duration_cast<std::chrono::seconds>(*d);
        }
        auto removed = image_cache_prune(rc, keep);
        if (!removed) return std::unexpected(removed.error());
        std::uint64_t total = 0;
        for (const auto& b : *removed) total += b.size;
        if (p.format == Format::json) p.json(json_array(*removed, cached_blob_columns()));
        p.note(fmt::format("removed {} blobs, {}", removed->size(), format_bytes(total)));
        return kExitOk;
    }));
}

}  // namespace

void add_image_commands(CLI::App& app, App& ctx) {
    auto* image = app.add_subcommand("image", "container images: registries, archives and nodes");
    image->require_subcommand(1);
    auto session = std::make_shared<RegistrySession>(ctx);
    add_fetch(*image, ctx, session);
    add_upload(*image, ctx, session);
    add_inspect(*image, ctx, session);
    add_tags(*image, ctx, session);
    add_cache(*image, ctx, session);
    add_image_node_commands(*image, ctx);
    add_image_push_command(*image, ctx);
}

}  // namespace cc::cli
