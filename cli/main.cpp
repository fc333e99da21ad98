// The front door: parse arguments, dispatch to one command group, map the
// outcome to an exit code. All work happens in lib/.
#include <csignal>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "app.hpp"
#include "core/interrupt.hpp"
#include "exit_codes.hpp"
#include "usage.hpp"
#include "version.hpp"

namespace {

void on_interrupt(int) { cc::request_interrupt(); }

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);  // a closed pipe is an error value, not a silent death
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    action.sa_flags = SA_RESTART;  // recv() inside libssh2 must not fail with EINTR; poll() still wakes
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);

    CLI::App app{"clusterctl: manage an on-premise GPU cluster over SSH", "clusterctl"};
    app.set_version_flag("--version", cc::cli::version_line());
    app.require_subcommand(1);
    app.fallthrough();  // global options may follow the subcommand

    cc::cli::App ctx;
    ctx.add_global_options(app);
    cc::cli::add_node_commands(app, ctx);
    cc::cli::add_exec_commands(app, ctx);
    cc::cli::add_cp_commands(app, ctx);
    cc::cli::add_key_commands(app, ctx);
    cc::cli::add_gpu_commands(app, ctx);
    cc::cli::add_image_commands(app, ctx);
    cc::cli::add_registry_commands(app, ctx);
    cc::cli::add_user_commands(app, ctx);
    cc::cli::add_instance_commands(app, ctx);
    cc::cli::add_nodeset_commands(app, ctx);
    cc::cli::add_config_commands(app, ctx);
    cc::cli::add_version_command(app, ctx);
    cc::cli::add_help_command(app, ctx);

    try {
        app.parse(argc, argv);
    } catch (const CLI::Success& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        return cc::cli::report_usage_error(app, e, std::vector<std::string>(argv + 1, argv + argc));
    }
    // A closed stdout stops the work through the interrupt flag too, but is not a Ctrl-C.
    if (cc::interrupt_requested() && ctx.exit_code != cc::cli::kExitBrokenPipe) return cc::cli::kExitInterrupted;
    return ctx.exit_code;
}
