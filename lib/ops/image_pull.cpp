// `image pull`: every node pulls from the registry itself, with the admin host's
// login handed over on stdin (lib/runtime's pull_with_auth_line), never in argv.
#include <fmt/format.h>

#include "core/shell_quote.hpp"
#include "ops/image_nodes.hpp"
#include "registry/reference.hpp"
#include "remote/command.hpp"
#include "remote/sections.hpp"

namespace cc {

Result<std::vector<NodeResult<PulledImage>>> pull_on_nodes(OpsContext& ctx, const ImagePullRequest& request) {
    auto parsed = parse_image_ref(request.ref);
    if (!parsed) return std::unexpected(parsed.error());
    // Nodes pull the reference written out in full: the registry the login was looked up
    // for, never one a node's short-name search would pick.
    const std::string ref = parsed->to_string();
    const std::string& registry = parsed->registry;
    std::optional<Credentials> login;
    if (request.credentials) {
        auto found = request.credentials->lookup(registry);
        if (!found) return std::unexpected(found.error());
        login = std::move(*found);
    }
    auto nodes = resolve_nodes(ctx, request.nodeset);
    if (!nodes) return std::unexpected(nodes.error());
    NodeWork<PulledImage> work = [&](Connection& connection, const Node& node, PulledImage& out) -> Result<NodeStatus> {
        auto runtime = runtime_of(node);
        if (!runtime) return std::unexpected(runtime.error());
        out.runtime = runtime_name(runtime->kind());
        out.ref = ref;
        // The login travels on stdin into a private file the node removes on every way out.
        std::string line, input;
        if (login) {
            line = pull_with_auth_line(*runtime, ref);
            input = auth_file_contents(runtime->kind(), registry, login->username, login->password, login->identity_token);
        } else {
            line = shell_join(runtime->pull_argv(ref, true, ""));
        }
        auto ran = run_bounded(connection, with_remote_deadline(line, ctx.settings.command_timeout), input,
                               ctx.settings.command_timeout);
        if (!ran) return std::unexpected(ran.error());
        if (ran->exit_status != 0 || !ran->exit_signal.empty())
            return std::unexpected(runtime_failed(*runtime, "pull", *ran));
        return NodeStatus::ok;
    };
    return run_on_nodes(ctx, *nodes, work, request.on_done);
}

}  // namespace cc
