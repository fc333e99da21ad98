// `clusterctl port-map …`: host ports added to and removed from running instances.
#include <fmt/format.h>

#include "app.hpp"
#include "exit_codes.hpp"
#include "nodeset_option.hpp"
#include "views/port_map_view.hpp"

namespace cc::cli {

namespace {

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

std::string mapping_text(const PortMapRow& r) {
    return fmt::format("{}:{}->{}/{}", r.node, r.port.host_port, r.port.container_port, r.port.proto);
}

void add_add(CLI::App& group, App& ctx) {
    auto req = std::make_shared<PortMapAddRequest>();
    auto host_port = std::make_shared<int>(0);
    auto* cmd = group.add_subcommand("add", "forward a node port to a port of a running instance, without restarting it");
    cmd->add_option("instance", req->instance, "instance name")->required();
    cmd->add_option("port", req->container_port, "the port inside the container")->required()->check(CLI::Range(1, 65535));
    auto* h = cmd->add_option("--host-port", *host_port, "the node's port (default: the first free one of [instances] port_range)")
                  ->check(CLI::Range(1, 65535));
    cmd->add_option("--proto", req->proto, "tcp or udp")->check(CLI::IsMember({"tcp", "udp"}))->default_str("tcp");
    cmd->callback(body(ctx, [req, host_port, h](OpsContext& ops, const Printer& p) -> Result<int> {
        if (h->count()) req->host_port = *host_port;
        auto row = port_map_add(ops, *req);
        if (!row) return std::unexpected(row.error());
        if (p.format == Format::json) p.json(port_map_json(*row));
        else p.line(fmt::format("forwarding {} to {}", mapping_text(*row), row->instance));
        return kExitOk;
    }));
}

void add_rm(CLI::App& group, App& ctx) {
    auto instance = std::make_shared<std::string>();
    auto host_port = std::make_shared<int>(0);
    auto proto = std::make_shared<std::string>("tcp");
    auto* cmd = group.add_subcommand("rm", "stop forwarding a host port added with port-map add");
    cmd->alias("remove");
    cmd->add_option("instance", *instance, "instance name")->required();
    cmd->add_option("host_port", *host_port, "the node's port")->required()->check(CLI::Range(1, 65535));
    cmd->add_option("--proto", *proto, "tcp or udp")->check(CLI::IsMember({"tcp", "udp"}))->default_str("tcp");
    cmd->callback(body(ctx, [instance, host_port, proto](OpsContext& ops, const Printer& p) -> Result<int> {
        auto row = port_map_remove(ops, *instance, *host_port, *proto);
        if (!row) return std::unexpected(row.error());
        if (p.format == Format::json) p.json(port_map_json(*row));
        else p.line(fmt::format("removed {} from {}", mapping_text(*row), row->instance));
        return kExitOk;
    }));
}

void add_ls(CLI::App& group, App& ctx) {
    auto nodeset = std::make_shared<std::string>();
    auto* cmd = group.add_subcommand("ls", "list host ports of instances: the runtime's (create -p) and forwarded ones");
    cmd->alias("list");
    add_nodeset_option(*cmd, "nodeset", *nodeset, "NODESET (default: every node)");
    cmd->callback(body(ctx, [nodeset](OpsContext& ops, const Printer& p) -> Result<int> {
        auto rows = port_map_list(ops, *nodeset);
        if (!rows) return std::unexpected(rows.error());
        p.list(*rows, port_map_columns());
        return kExitOk;
    }));
}

}  // namespace

void add_port_map_commands(CLI::App& app, App& ctx) {
    auto* group = app.add_subcommand("port-map", "host ports of running instances, added and removed live");
    group->require_subcommand(1);
    add_add(*group, ctx);
    add_rm(*group, ctx);
    add_ls(*group, ctx);
}

}  // namespace cc::cli
