#include "usage.hpp"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "core/shell_quote.hpp"
#include "core/spelling.hpp"
#include "core/strings.hpp"
#include "exit_codes.hpp"

namespace cc::cli {

namespace {

// Subcommands a user can type (hidden ones have no group; option groups no name).
std::vector<CLI::App*> visible_subcommands(CLI::App& cmd) {
    return cmd.get_subcommands([](CLI::App* sub) { return !sub->get_name().empty() && !sub->get_group().empty(); });
}

CLI::App* find_subcommand(CLI::App& cmd, const std::string& name) {
    for (auto* sub : visible_subcommands(cmd))
        if (sub->get_name() == name) return sub;
    return nullptr;
}

// "clusterctl node ls"
std::string command_path(const CLI::App& cmd) {
    std::vector<std::string> names;
    for (const CLI::App* at = &cmd; at; at = at->get_parent()) names.insert(names.begin(), at->get_name());
    return join(names, " ");
}

// The formatter directly: App::help() would show the help of whatever
// subcommand was parsed (`help` itself) instead of `cmd`.
void print_help(const CLI::App& cmd) {
    std::string prev = cmd.get_parent() ? command_path(*cmd.get_parent()) + " " + cmd.get_name() : cmd.get_name();
    std::string text = cmd.get_formatter()->make_help(&cmd, prev, CLI::AppFormatMode::Normal);
    std::fwrite(text.data(), 1, text.size(), stdout);
}

int report_unknown_command(CLI::App& group, const std::string& word) {
    std::vector<std::string> names;
    for (auto* sub : visible_subcommands(group)) names.push_back(sub->get_name());
    // As typed after the program name: "node " for a word under `node`.
    std::string path;
    for (const CLI::App* at = &group; at->get_parent(); at = at->get_parent()) path.insert(0, at->get_name() + " ");
    std::string message = fmt::format("unknown command \"{}{}\"", path, word);
    if (auto closest = closest_spelling(word, names))
        message += fmt::format("; did you mean \"{}{}\"?", path, *closest);
    else
        message += fmt::format("; commands: {}", join(names, ", "));
    report_error(Error{ErrorKind::invalid_input, message});
    return kExitUsage;
}

// The subcommand CLI11 got furthest into: `node` for `clusterctl node lst`.
CLI::App* deepest_parsed(CLI::App& app) {
    CLI::App* cmd = &app;
    for (auto subs = cmd->get_subcommands(); !subs.empty(); subs = cmd->get_subcommands()) cmd = subs.front();
    return cmd;
}

// Where `--` belongs in args: before the first word of the remote command, or
// before the stray option when no word was taken as the command.
std::size_t remote_command_start(CLI::App& cmd, const std::vector<std::string>& args, const std::string& stray) {
    std::size_t after = 0;  // just past the subcommand's own name
    std::vector<const CLI::App*> chain;
    for (const CLI::App* at = &cmd; at->get_parent(); at = at->get_parent()) chain.insert(chain.begin(), at);
    for (const auto* link : chain) {
        auto it = std::find(args.begin() + static_cast<std::ptrdiff_t>(after), args.end(), link->get_name());
        if (it != args.end()) after = static_cast<std::size_t>(it - args.begin()) + 1;
    }
    const auto& words = cmd.get_option("command")->results();
    const std::string& first = words.empty() ? stray : words.front();
    auto it = std::find(args.begin() + static_cast<std::ptrdiff_t>(after), args.end(), first);
    return static_cast<std::size_t>(it - args.begin());
}

}  // namespace

void add_help_command(CLI::App& app, App& ctx) {
    auto words = std::make_shared<std::vector<std::string>>();
    auto* cmd = app.add_subcommand("help", "print the help of a command: help [CMD…]");
    cmd->add_option("words", *words, "CMD… (the command list without)");
    cmd->callback([&app, &ctx, words] {
        CLI::App* target = &app;
        for (const auto& word : *words) {
            CLI::App* sub = find_subcommand(*target, word);
            if (!sub) {
                ctx.exit_code = report_unknown_command(*target, word);
                return;
            }
            target = sub;
        }
        print_help(*target);
        ctx.exit_code = kExitOk;
    });
}

int report_usage_error(CLI::App& app, const CLI::ParseError& error, const std::vector<std::string>& args) {
    CLI::App* cmd = deepest_parsed(app);
    auto leftovers = app.remaining(true);
    auto word = std::ranges::find_if(leftovers, [](const std::string& a) { return !a.starts_with('-'); });
    auto stray = std::ranges::find_if(leftovers, [](const std::string& a) { return a.starts_with('-'); });
    if (!visible_subcommands(*cmd).empty()) {
        if (word != leftovers.end() && *word == "help") {
            print_help(*cmd);
            return kExitOk;
        }
        if (word != leftovers.end()) return report_unknown_command(*cmd, *word);
        if (dynamic_cast<const CLI::RequiredError*>(&error) && leftovers.empty()) {
            print_help(*cmd);
            return kExitUsage;
        }
    }
    auto* command = cmd->get_option_no_throw("command");
    if (command && command->get_positional() && stray != leftovers.end()) {
        std::vector<std::string> fixed = args;
        fixed.insert(fixed.begin() + static_cast<std::ptrdiff_t>(remote_command_start(*cmd, args, *stray)), "--");
        report_error(Error{ErrorKind::invalid_input,
                           fmt::format("unexpected option \"{}\"; put the remote command after --: clusterctl {}",
                                       *stray, shell_join(fixed))});
        return kExitUsage;
    }
    report_error(Error{ErrorKind::invalid_input, error.what()});
    std::fprintf(stderr, "Run '%s --help' for usage.\n", command_path(*cmd).c_str());
    return kExitUsage;
}

}  // namespace cc::cli
