#include "ops/exec.hpp"

#include <algorithm>
#include <map>

#include "core/broadcast_source.hpp"
#include "remote/command.hpp"

namespace cc {

Result<std::vector<NodeResult<ExecOutput>>> exec_on_nodes(OpsContext& ctx, const ExecRequest& request) {
    auto line = exec_command_line(request.argv, request.shell);
    if (!line) return std::unexpected(line.error());
    const std::string command = with_remote_deadline(*line, ctx.settings.command_timeout);
    auto nodes = resolve_nodes(ctx, request.nodeset);
    if (!nodes) return std::unexpected(nodes.error());
    // Every node's stdin is one read of request.input, fed to all at the pace of the slowest.
    std::optional<BroadcastSource> stdin_copies;
    if (request.input)
        stdin_copies.emplace(*request.input, nodes->size(), static_cast<std::size_t>(std::max(ctx.settings.fanout, 1)));
    std::map<std::string, std::size_t> reader_of;
    for (std::size_t i = 0; i < nodes->size(); ++i) reader_of.emplace((*nodes)[i].name, i);
    const std::uint64_t cap = ctx.settings.exec_max_output;
    NodeWork<ExecOutput> work = [&](Connection& connection, const Node& node, ExecOutput& output) -> Result<NodeStatus> {
        // Gathered output is capped per stream; what is past the cap is still
        // read and dropped, so the remote never blocks on a full channel.
        OutputSink sink = [&](int stream, std::string_view data) {
            if (request.on_output) return request.on_output(node.name, stream, data);
            std::string& kept = stream == 0 ? output.out : output.err;
            std::size_t room = cap > kept.size() ? static_cast<std::size_t>(cap - kept.size()) : 0;
            if (data.size() > room) output.truncated = true;
            kept.append(data.substr(0, std::min(room, data.size())));
        };
        MemorySource no_input("");
        ByteSource& input = stdin_copies ? stdin_copies->reader(reader_of.at(node.name)) : no_input;
        auto ran = connection.exec(command, input, ctx.settings.command_timeout, sink);
        if (!ran) return std::unexpected(ran.error());
        output.exit_status = ran->exit_status;
        output.exit_signal = ran->exit_signal;
        return ran->exit_status == 0 && ran->exit_signal.empty() ? NodeStatus::ok : NodeStatus::failed;
    };
    OnNodeDone<ExecOutput> done = [&](const NodeResult<ExecOutput>& result) {
        // A node that is done (or never connected) must never hold the others back.
        if (stdin_copies) stdin_copies->detach(reader_of.at(result.node));
        if (request.on_done) request.on_done(result);
    };
    return run_on_nodes(ctx, *nodes, work, done);
}

}  // namespace cc
