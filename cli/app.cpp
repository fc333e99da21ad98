#include "app.hpp"

#include <charconv>
#include <cstdlib>
#include <unistd.h>

#include <fmt/format.h>

#include "config/paths.hpp"
#include "fanout/fanout.hpp"
#include "exit_codes.hpp"

namespace cc::cli {

namespace {

std::string env_or(const char* name, const std::string& fallback) {
    const char* value = std::getenv(name);
    return value && *value ? value : fallback;
}

// CLI11's own message for "abc" is "not in range"; say what is wrong with it.
std::string fanout_problem(const std::string& text) {
    int value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || end != text.data() + text.size() || error == std::errc::invalid_argument)
        return fmt::format("\"{}\" is not a number (1-4096)", text);
    if (error == std::errc::result_out_of_range || value < 1 || value > 4096)
        return fmt::format("{} is out of range (1-4096)", text);
    return "";
}

// Each node's work holds descriptors: a fan-out wider than the open-file limit
// allows would fail nodes on EMFILE, so it is narrowed, and the user told once.
void fit_fanout(Settings& settings, const Printer& printer) {
    auto fit = fit_fanout_to_open_files(settings.fanout);
    if (fit.width >= settings.fanout) return;
    printer.note(fmt::format("fanout {} lowered to {}: the open-file limit (ulimit -n) is {}", settings.fanout,
                             fit.width, fit.open_files));
    settings.fanout = fit.width;
}

}  // namespace

void App::add_global_options(CLI::App& app) {
    app.add_option("--inventory", options.inventory, "inventory file (env CLUSTERCTL_INVENTORY)");
    app.add_option("--config", options.config, "config file (env CLUSTERCTL_CONFIG)");
    app.add_option("-o,--output", options.output, "output format: table, wide (more columns) or json")
        ->check(CLI::Validator(
            [](const std::string& name) {
                auto format = parse_format(name);
                return format ? std::string() : format.error().message;
            },
            "table|wide|json"));
    app.add_flag("--no-headers", options.no_headers, "tables without their header row");
    app.add_option("--fanout", options.fanout, "nodes contacted at once (default 64; 1-4096)")
        ->check(CLI::Validator(fanout_problem, "1-4096"));
    app.add_option("--connect-timeout", options.connect_timeout, "SSH setup deadline per node, e.g. 10s");
    app.add_option("--timeout", options.timeout, "remote command deadline per node, e.g. 60s");
    app.add_flag("-q,--quiet", options.quiet, "only results and errors");
    app.add_flag("-v,--verbose", options.verbose, "connection steps and timings per node, on stderr");
    app.add_flag("--no-color", options.no_color, "no colour (also NO_COLOR)");
}

Result<const Config*> App::config() {
    if (config_) return &*config_;
    std::string named = options.config.empty() ? env_or("CLUSTERCTL_CONFIG", "") : options.config;
    std::string path = named.empty() ? default_config_path() : named;
    FlagOverrides flags;
    if (options.fanout) flags["fanout"] = std::to_string(*options.fanout);
    if (!options.connect_timeout.empty()) flags["ssh.connect_timeout"] = options.connect_timeout;
    if (!options.timeout.empty()) flags["ssh.timeout"] = options.timeout;
    auto loaded = load_config(path, flags, !named.empty());
    if (!loaded) return std::unexpected(loaded.error());
    config_ = std::move(*loaded);
    return &*config_;
}

Result<OpsContext*> App::ops() {
    if (ops_) return ops_.get();
    auto cfg = config();
    if (!cfg) return std::unexpected(cfg.error());
    std::string named = options.inventory.empty() ? env_or("CLUSTERCTL_INVENTORY", "") : options.inventory;
    auto inventory = named.empty() ? Inventory::open(default_inventory_path(), true) : Inventory::open(named);
    if (!inventory) return std::unexpected(inventory.error());
    inventory_ = std::make_unique<Inventory>(std::move(*inventory));
    transport_ = make_ssh_transport();
    ops_ = std::make_unique<OpsContext>(OpsContext{*inventory_, *transport_, (*cfg)->settings});
    fit_fanout(ops_->settings, printer());
    if (options.verbose) {
        // Called from worker threads: note() is one escaped fprintf, which stdio locks.
        ops_->log = [p = printer()](std::string_view step) { p.note(std::string(step)); };
    }
    return ops_.get();
}

const Printer& App::printer() {
    if (printer_) return *printer_;
    Printer p;
    // -o was checked when parsed; no -o is a table.
    p.format = options.output.empty() ? Format::table : parse_format(options.output).value_or(Format::table);
    p.headers = !options.no_headers;
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
