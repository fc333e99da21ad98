// key add | ls | show: the inventory side of keys (no node is contacted).
#include <fmt/format.h>

#include "core/nodeset.hpp"
#include "keys/public_key.hpp"
#include "ops/keys.hpp"

namespace cc {

Result<KeyRecord> key_add(OpsContext& ctx, const KeyAddRequest& request) {
    if (!is_valid_node_name(request.name))
        return fail(ErrorKind::invalid_input,
                    fmt::format("invalid key name \"{}\": use letters, digits, '.', '_' or '-', not starting with '-'",
                                request.name));
    if (request.public_key_text.find("PRIVATE KEY") != std::string::npos)
        return fail(ErrorKind::invalid_input,
                    fmt::format("{} holds a private key: give the public key (the .pub file)", request.source));
    auto key = parse_public_key(request.public_key_text);
    if (!key) return fail(ErrorKind::invalid_input, fmt::format("{}: {}", request.source, key.error().message));
    if (request.comment && request.comment->find_first_of("\r\n") != std::string::npos)
        return fail(ErrorKind::invalid_input, "--comment must be one line");
    KeyRecord record{request.name, key->type,    key->base64, key->fingerprint,
                     request.comment.value_or(key->comment), request.owner, ""};
    if (auto added = ctx.inventory.keys().add(record); !added) return std::unexpected(added.error());
    return ctx.inventory.keys().get(request.name);
}

Result<std::vector<KeyDetails>> key_list(OpsContext& ctx) {
    auto keys = ctx.inventory.keys().list();
    if (!keys) return std::unexpected(keys.error());
    auto placements = ctx.inventory.keys().placements();
    if (!placements) return std::unexpected(placements.error());
    std::vector<KeyDetails> out;
    for (auto& k : *keys) {
        KeyDetails d{std::move(k), {}};
        for (const auto& p : *placements)
            if (p.key == d.key.name) d.placements.push_back(p);
        out.push_back(std::move(d));
    }
    return out;
}

Result<KeyDetails> key_show(OpsContext& ctx, const std::string& name) {
    auto key = ctx.inventory.keys().get(name);
    if (!key) return std::unexpected(key.error());
    auto placements = ctx.inventory.keys().placements();
    if (!placements) return std::unexpected(placements.error());
    KeyDetails d{std::move(*key), {}};
    for (const auto& p : *placements)
        if (p.key == name) d.placements.push_back(p);
    return d;
}

}  // namespace cc
