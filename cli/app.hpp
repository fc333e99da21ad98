// Global options and the objects every command group shares, opened lazily
// so `--help` or a usage error never touches the inventory.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "config/config.hpp"
#include "inventory/inventory.hpp"
#include "ops/context.hpp"
#include "output.hpp"

namespace cc::cli {

struct GlobalOptions {
    std::string inventory;
    std::string config;
    std::string output;
    std::optional<int> fanout;
    std::string connect_timeout;
    std::string timeout;
    bool quiet = false;
    bool verbose = false;
    bool no_color = false;
    bool no_headers = false;
};

class App {
public:
    GlobalOptions options;
    int exit_code = 0;

    void add_global_options(CLI::App& app);
    Result<const Config*> config();
    Result<OpsContext*> ops();
    const Printer& printer();
    Format format() { return printer().format; }

private:
    std::optional<Config> config_;
    std::unique_ptr<Inventory> inventory_;
    std::unique_ptr<Transport> transport_;
    std::unique_ptr<OpsContext> ops_;
    std::optional<Printer> printer_;
};

// Each command group registers itself the same way.
void add_node_commands(CLI::App& app, App& ctx);
void add_config_commands(CLI::App& app, App& ctx);
void add_exec_commands(CLI::App& app, App& ctx);
void add_nodeset_commands(CLI::App& app, App& ctx);
void add_cp_commands(CLI::App& app, App& ctx);
void add_gpu_commands(CLI::App& app, App& ctx);
void add_key_commands(CLI::App& app, App& ctx);
void add_image_commands(CLI::App& app, App& ctx);
void add_image_node_commands(CLI::App& image, App& ctx);  // pull, ls, rm under `image`
void add_image_push_command(CLI::App& image, App& ctx);   // push under `image`
void add_registry_commands(CLI::App& app, App& ctx);
void add_user_commands(CLI::App& app, App& ctx);
void add_instance_commands(CLI::App& app, App& ctx);

// Runs a command body: an Error becomes the message and exit code.
void run_command(App& ctx, const std::function<Result<int>()>& body);

}  // namespace cc::cli
