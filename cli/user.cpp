// `clusterctl user …`: users, their level, quota and default volumes (inventory only).
#include <fmt/format.h>

#include "app.hpp"
#include "core/strings.hpp"
#include "core/units.hpp"
#include "exit_codes.hpp"
#include "views/user_view.hpp"

namespace cc::cli {

namespace {

// A command body with the ops context opened.
template <class F>
std::function<void()> body(App& ctx, F f) {
    return [&ctx, f] {
        run_command(ctx, [&]() -> Result<int> {
            auto ops = ctx.ops();
            if (!ops) return std::unexpected(ops.error());
            return f(**ops, ctx.printer());
        });
    };
}

void print_user(const Printer& p, const UserDetails& u) {
    if (p.format == Format::json) {
        p.json(user_json(u));
        return;
    }
    auto kv = [&](const char* key, const std::string& value) { p.line(fmt::format("{:<12}{}", key, value)); };
    kv("Name:", u.user.name);
    kv("Level:", u.user.level);
    // Use against each limit, in quota_keys() order.
    const char* labels[] = {"GPUs:", "CPUs:", "Memory:", "Storage:", "Instances:"};
    for (std::size_t i = 0; i < quota_keys().size() && i < std::size(labels); ++i) {
        const std::string& key = quota_keys()[i];
        kv(labels[i], use_text(u, key) + (own_limit(u.user.quota, key) ? " (own quota)" : " (level)"));
    }
    if (u.user.volumes.empty()) kv("Volumes:", "-");
    for (const auto& v : u.user.volumes) kv("Volumes:", format_volume(v));
    kv("Added:", u.user.created_at);
}

void add_add(CLI::App& group, App& ctx) {
    auto req = std::make_shared<UserAddRequest>();
    auto quota = std::make_shared<std::string>();
    auto* cmd = group.add_subcommand("add", "register a user with a level and, optionally, their own quota");
    cmd->add_option("name", req->name, "user name ([A-Za-z0-9._-])")->required();
    cmd->add_option("--level", req->level, "small, mid or big: the limits from config [levels.*]")
        ->default_str("small");
    auto* q = cmd->add_option("--quota", *quota, "own limits over the level's: gpus=2,cpus=24.5,memory=128G,storage=500G,instances=5");
    cmd->add_option("--volume", req->volumes, "SRC:DST[:ro] mounted on every instance the user owns (repeatable)");
    cmd->callback(body(ctx, [req, quota, q](OpsContext& ops, const Printer& p) -> Result<int> {
        if (q->count()) req->quota = *quota;
        auto user = user_add(ops, *req);
        if (!user) return std::unexpected(user.error());
        if (p.format == Format::json) p.json(user_json(*user));
        else p.line(fmt::format("added user {} (level {})", user->user.name, user->user.level));
        return kExitOk;
    }));
}

void add_ls(CLI::App& group, App& ctx) {
    auto* cmd = group.add_subcommand("ls", "list users with their limits (* marks a user's own quota)");
    cmd->alias("list");
    cmd->callback(body(ctx, [](OpsContext& ops, const Printer& p) -> Result<int> {
        auto users = user_list(ops);
        if (!users) return std::unexpected(users.error());
        p.list(*users, user_columns());
        return kExitOk;
    }));
}

void add_show(CLI::App& group, App& ctx) {
    auto name = std::make_shared<std::string>();
    auto* cmd = group.add_subcommand("show", "show one user: level, limits against use, volumes");
    cmd->add_option("name", *name, "user name")->required();
    cmd->callback(body(ctx, [name](OpsContext& ops, const Printer& p) -> Result<int> {
        auto user = user_show(ops, *name);
        if (!user) return std::unexpected(user.error());
        print_user(p, *user);
        return kExitOk;
    }));
}

void add_set(CLI::App& group, App& ctx) {
    auto req = std::make_shared<UserSetRequest>();
    auto level = std::make_shared<std::string>();
    auto quota = std::make_shared<std::string>();
    auto* cmd = group.add_subcommand("set", "change a user's level, quota (key=default drops an own limit) or volumes");
    cmd->add_option("name", req->name, "user name")->required();
    auto* l = cmd->add_option("--level", *level, "small, mid or big");
    auto* q = cmd->add_option("--quota", *quota, "own limits to change: gpus=4,memory=default,…");
    auto* v = cmd->add_option("--volume", req->volumes, "SRC:DST[:ro]: replaces the user's volumes (repeatable)");
    cmd->add_flag("--no-volumes", req->no_volumes, "drop all of the user's volumes")->excludes(v);
    cmd->callback(body(ctx, [req, level, quota, l, q](OpsContext& ops, const Printer& p) -> Result<int> {
        if (l->count()) req->level = *level;
        if (q->count()) req->quota = *quota;
        auto user = user_set(ops, *req);
        if (!user) return std::unexpected(user.error());
        print_user(p, *user);
        return kExitOk;
    }));
}

void add_rm(CLI::App& group, App& ctx) {
    auto name = std::make_shared<std::string>();
    auto* cmd = group.add_subcommand("rm", "forget a user (refused while the user owns instances)");
    cmd->alias("remove");
    cmd->add_option("name", *name, "user name")->required();
    cmd->callback(body(ctx, [name](OpsContext& ops, const Printer& p) -> Result<int> {
        if (auto r = user_remove(ops, *name); !r) return std::unexpected(r.error());
        if (p.format == Format::json) p.json({{"removed", *name}});
        else p.line(fmt::format("removed user {}", *name));
        return kExitOk;
    }));
}

void add_usage(CLI::App& group, App& ctx) {
    auto name = std::make_shared<std::string>();
    auto* cmd = group.add_subcommand("usage", "what users' instances hold against their limits");
    cmd->add_option("name", *name, "one user (default: every user)");
    cmd->callback(body(ctx, [name](OpsContext& ops, const Printer& p) -> Result<int> {
        std::vector<UserDetails> users;
        if (name->empty()) {
            auto all = user_list(ops);
            if (!all) return std::unexpected(all.error());
            users = std::move(*all);
        } else {
            auto one = user_show(ops, *name);
            if (!one) return std::unexpected(one.error());
            users.push_back(std::move(*one));
        }
        p.list(users, usage_columns());
        return kExitOk;
    }));
}

}  // namespace

void add_user_commands(CLI::App& app, App& ctx) {
    auto* group = app.add_subcommand("user", "users instances are created for: levels, quotas, default volumes");
    group->require_subcommand(1);
    add_add(*group, ctx);
    add_ls(*group, ctx);
    add_show(*group, ctx);
    add_set(*group, ctx);
    add_rm(*group, ctx);
    add_usage(*group, ctx);
}

}  // namespace cc::cli
