#include "ops/key_common.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "keys/authorized_keys.hpp"

namespace cc::keyops {

Result<std::vector<std::vector<std::string>>> accounts_per_node(OpsContext& ctx, const std::vector<Node>& nodes,
                                                                const std::string& remote_user) {
    std::vector<std::vector<std::string>> users(nodes.size());
    if (!remote_user.empty()) {
        if (auto ok = validate_remote_user(remote_user); !ok) return std::unexpected(ok.error());
        for (auto& u : users) u = {remote_user};
        return users;
    }
    auto accounts = ctx.inventory.keys().accounts();
    if (!accounts) return std::unexpected(accounts.error());
    std::map<std::string, std::set<std::string>> managed;
    for (const auto& a : *accounts) managed[a.node].insert(a.remote_user);
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        users[i].push_back(nodes[i].user);  // the login user first
        for (const auto& u : managed[nodes[i].name])
            if (u != nodes[i].user) users[i].push_back(u);
    }
    return users;
}

PublicKey public_key_of(const KeyRecord& key) { return {key.type, key.base64, key.comment, key.fingerprint}; }

std::vector<std::string> recorded_lines(const std::vector<KeyPlacement>& placements,
                                        const std::map<std::string, KeyRecord>& keys, const std::string& node,
                                        const std::string& user) {
    std::vector<std::string> lines;
    for (const auto& p : placements) {
        if (p.node != node || p.remote_user != user) continue;
        auto it = keys.find(p.key);
        if (it != keys.end()) lines.push_back(render_key_line(public_key_of(it->second), p.options));
    }
    return lines;
}

std::map<std::string, KeyRecord> keys_by_name(const std::vector<KeyRecord>& keys) {
    std::map<std::string, KeyRecord> out;
    for (const auto& k : keys) out[k.name] = k;
    return out;
}

std::map<std::string, std::string> names_by_fingerprint(const std::vector<KeyRecord>& keys) {
    std::map<std::string, std::string> out;
    for (const auto& k : keys) out[k.fingerprint] = k.name;
    return out;
}

Result<void> keep_login_key(const Connection& connection, bool guard, const RemoteAuthorizedKeys& before,
                            const KeysEdit& edit) {
    if (!guard || !before.is_login_account()) return {};
    const std::string& login = connection.login_key_fingerprint();
    auto present = [&](const std::vector<AuthorizedKeyLine>& lines) {
        return std::any_of(lines.begin(), lines.end(),
                           [&](const AuthorizedKeyLine& l) { return l.is_key && line_fingerprint(l) == login; });
    };
    if (login.empty()) {
        if (edit.drop_unmanaged.empty()) return {};
        return fail(ErrorKind::invalid_input,
                    "cannot tell which key clusterctl logged in with (a PEM key file without a .pub beside it), "
                    "so no key outside the managed block is removed here");
    }
    const bool was_there = present(before.parsed.before) || present(before.parsed.after) ||
                           present(before.parsed.managed);
    if (!was_there) return {};
    auto after = parse_authorized_keys(apply_keys_edit(before.parsed, edit));
    if (after && (present(after->before) || present(after->after) || present(after->managed))) return {};
    return fail(ErrorKind::invalid_input,
                fmt::format("refusing to remove {} from {}: clusterctl is logged in with it, and removing it would "
                            "lock clusterctl out (log in with another key first)",
                            login, before.path()));
}

}  // namespace cc::keyops
