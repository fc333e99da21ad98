#include "app.hpp"

#include <cstdlib>
#include <unistd.h>

#include "config/paths.hpp"
#include "exit_codes.hpp"

namespace cc::cli {

namespace {

std::string env_or(const char* name, const std::string& fallback) {
    const char* value = std::getenv(name);
    return value && *value ? value : fallback;
}

}  // namespace

void App::add_global_options(CLI::App& app) {
    app.add_option("--inventory", options.inventory, "inventory file (env CLUSTERCTL_INVENTORY)");
    app.add_option("--config", options.config, "config file (env CLUSTERCTL_CONFIG)");
    app.add_option("-o,--output", options.output, "output format")
        ->check(CLI::IsMember({"table", "wide", "json"}));
    app.add_option("--fanout", options.fanout, "nodes contacted at once (default 64)")->check(CLI::Range(1, 4096));
    app.add_option("--connect-timeout", options.connect_timeout, "SSH setup deadline per node, e.g. 10s");
    app.add_option("--timeout", options.timeout, "remote command deadline per node, e.g. 60s");
    app.add_flag("-q,--quiet", options.quiet, "only results and errors");
    app.add_flag("-v,--verbose", options.verbose, "connection steps and timings per node, on stderr");
    app.add_flag("--no-color", options.no_color, "no colour (also NO_COLOR)");
}

Result<const Config*> App::config() {
    if (config_) return &*config_;
    std::string path = options.config.empty() ? env_or("CLUSTERCTL_CONFIG", default_config_path()) : options.config;
    FlagOverrides flags;
    if (options.fanout) flags["fanout"] = std::to_string(*options.fanout);
    if (!options.connect_timeout.empty()) flags["ssh.connect_timeout"] = options.connect_timeout;
    if (!options.timeout.empty()) flags["ssh.timeout"] = options.timeout;
    auto loaded = load_config(path, flags);
    if (!loaded) return std::unexpected(loaded.error());
    config_ = std::move(*loaded);
    return &*config_;
}

Result<OpsContext*> App::ops() {
    if (ops_) return ops_.get();
    auto cfg = config();
    if (!cfg) return std::unexpected(cfg.error());
    std::string path =
        options.inventory.empty() ? env_or("CLUSTERCTL_INVENTORY", default_inventory_path()) : options.inventory;
    auto inventory = Inventory::open(path);
    if (!inventory) return std::unexpected(inventory.error());
    inventory_ = std::make_unique<Inventory>(std::move(*inventory));
    transport_ = make_ssh_transport();
    ops_ = std::make_unique<OpsContext>(OpsContext{*inventory_, *transport_, (*cfg)->settings});
    if (options.verbose) {
        // Called from worker threads: note() is one escaped fprintf, which stdio locks.
        ops_->log = [p = printer()](std::string_view step) { p.note(std::string(step)); };
    }
    return ops_.get();
}

const Printer& App::printer() {
    if (printer_) return *printer_;
    Printer p;
    p.format = options.output == "json" ? Format::json : options.output == "wide" ? Format::wide : Format::table;
    p.color = !options.no_color && !std::getenv("NO_COLOR") && ::isatty(STDOUT_FILENO);
    p.quiet = options.quiet;
    printer_ = p;
    return *printer_;
}

void run_command(App& ctx, const std::function<Result<int>()>& body) {
    auto result = body();
    ctx.exit_code = result ? *result : report_error(result.error());
}

}  // namespace cc::cli
