// `registry login|logout|ls`: credentials for registries, kept in clusterctl's own
// file (0600); the password comes on stdin only, never in argv.
#include <iostream>
#include <iterator>

#include <fmt/format.h>

#include "app.hpp"
#include "exit_codes.hpp"
#include "ops/image_registry.hpp"
#include "registry_context.hpp"
#include "views/image_view.hpp"

namespace cc::cli {

namespace {

constexpr std::size_t kMaxPassword = 64 * 1024;  // tokens are long; a file piped by mistake is not a password

Result<std::string> read_password_stdin() {
    std::string text;
    char c;
    while (std::cin.get(c)) {
        if (text.size() >= kMaxPassword) return fail(ErrorKind::invalid_input, "the password on stdin is longer than 64 KiB");
        text += c;
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (text.empty()) return fail(ErrorKind::invalid_input, "no password on stdin");
    return text;
}

}  // namespace

void add_registry_commands(CLI::App& app, App& ctx) {
    auto* group = app.add_subcommand("registry", "credentials for image registries");
    group->require_subcommand(1);
    auto session = std::make_shared<RegistrySession>(ctx);
    auto with_context = [&ctx, session](auto f) {
        return [&ctx, session, f] {
            run_command(ctx, [&]() -> Result<int> {
                auto rc = session->open();
                if (!rc) return std::unexpected(rc.error());
                return f(*rc, ctx.printer());
            });
        };
    };

    struct Login {
        std::string registry, username;
        bool password_stdin = false;
    };
    auto login = std::make_shared<Login>();
    auto* in = group->add_subcommand("login", "check credentials against a registry, then store them (0600)");
    in->add_option("registry", login->registry, "HOST[:PORT]")->required();
    in->add_option("-u,--username", login->username, "user name (robot accounts' '$' is fine)")->required();
    in->add_flag("--password-stdin", login->password_stdin, "read the password (or token) from stdin")->required();
    in->callback(with_context([login](const RegistryContext& rc, const Printer& p) -> Result<int> {
        auto password = read_password_stdin();
        if (!password) return std::unexpected(password.error());
        Credentials credentials{login->username, *password, {}};
        if (auto r = registry_login(rc, login->registry, credentials); !r) return std::unexpected(r.error());
        if (p.format == Format::json) p.json({{"registry", login->registry}, {"username", login->username}, {"saved", true}});
        else p.line(fmt::format("logged in to {} as {}", login->registry, login->username));
        return kExitOk;
    }));

    auto logout_registry = std::make_shared<std::string>();
    auto* out = group->add_subcommand("logout", "forget the stored credentials of a registry");
    out->add_option("registry", *logout_registry, "HOST[:PORT]")->required();
    out->callback(with_context([logout_registry](const RegistryContext& rc, const Printer& p) -> Result<int> {
        auto removed = registry_logout(rc, *logout_registry);
        if (!removed) return std::unexpected(removed.error());
        if (p.format == Format::json) p.json({{"registry", *logout_registry}, {"removed", *removed}});
        else if (*removed) p.line(fmt::format("logged out of {}", *logout_registry));
        else p.note(fmt::format("no stored credentials for {}", *logout_registry));
        return kExitOk;
    }));

    auto* ls = group->add_subcommand("ls", "registries with credentials (clusterctl's and docker's; never the secrets)");
    ls->callback(with_context([](const RegistryContext& rc, const Printer& p) -> Result<int> {
        auto logins = registry_list(rc);
        if (!logins) return std::unexpected(logins.error());
        p.list(*logins, stored_login_columns());
        return kExitOk;
    }));
}

}  // namespace cc::cli
