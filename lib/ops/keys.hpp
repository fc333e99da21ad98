// `key …` use cases: a registry of public keys in the inventory, and the
// managed block of authorized_keys on nodes kept equal to it. Nothing here prints.
#pragma once
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ops/context.hpp"

namespace cc {

struct KeyAddRequest {
    std::string name;
    std::string public_key_text;  // one OpenSSH public key line
    std::string source;           // file name (or "stdin") for messages
    std::string owner;
    std::optional<std::string> comment;  // replaces the line's own comment
};
Result<KeyRecord> key_add(OpsContext& ctx, const KeyAddRequest& request);

struct KeyDetails {
    KeyRecord key;
    std::vector<KeyPlacement> placements;
};
Result<std::vector<KeyDetails>> key_list(OpsContext& ctx);
Result<KeyDetails> key_show(OpsContext& ctx, const std::string& name);

// What happened in one remote user's authorized_keys on one node: the value
// of that account's NodeResult (one per (node, account); its status is ok or
// why not).
struct AccountEdit {
    std::string remote_user;
    bool changed = false;                   // the file was rewritten
    std::vector<std::string> added;         // key names
    std::vector<std::string> removed;       // key names, or fingerprints of unknown keys
    std::optional<bool> login_verified;     // rotate: a login with the new key worked
    std::vector<std::string> notes;         // e.g. a revoked key still present outside the block
};

struct KeyPushRequest {
    std::vector<std::string> keys;  // names
    std::string nodeset;
    std::string remote_user;        // "" = each node's login user
    std::string options;            // authorized_keys options for these lines
};
Result<std::vector<NodeResult<AccountEdit>>> key_push(OpsContext& ctx, const KeyPushRequest& request);

// (node, remote user) pairs a destructive key command is about to edit.
using AccountList = std::vector<std::pair<std::string, std::string>>;

struct KeyRevokeRequest {
    std::string key;
    std::string nodeset;
    std::string remote_user;  // "" = every account on those nodes clusterctl manages, and the login user
    // Shown the accounts before any is touched; false stops with nothing changed
    // (and no outcomes).
    std::function<bool(const AccountList&)> confirm;
};
Result<std::vector<NodeResult<AccountEdit>>> key_revoke(OpsContext& ctx, const KeyRevokeRequest& request);

struct KeyRemoveResult {
    bool removed_from_inventory = false;  // false when some node could not be cleaned
    std::vector<NodeResult<AccountEdit>> outcomes;
};
// Revokes the key everywhere it was pushed (unless keep_on_nodes), then
// forgets it; when a node fails the key stays registered so nothing is orphaned.
Result<KeyRemoveResult> key_remove(OpsContext& ctx, const std::string& name, bool keep_on_nodes);

struct KeyRotateRequest {
    std::string old_key;
    std::string new_key;
    std::string nodeset;
    std::vector<std::string> identity_files;  // where to look for NEW's private key (besides ssh.identity_files)
};
Result<std::vector<NodeResult<AccountEdit>>> key_rotate(OpsContext& ctx, const KeyRotateRequest& request);

// A key line found on a node.
struct FoundKey {
    std::string fingerprint;
    std::string type;
    std::string comment;
    std::string options;
    std::string key_name;  // "" when the inventory does not know it
    bool in_block = false;
    bool login_key = false;  // the key clusterctl logged in with (known, though maybe not registered)
};

// What one account's file holds against what the inventory wants there (the
// value of that account's NodeResult).
struct AccountAudit {
    std::string remote_user;
    bool login_account = false;            // clusterctl logs in as this user
    std::vector<FoundKey> unknown;         // keys the inventory does not know (anywhere in the file),
                                           // except clusterctl's own login key outside the block
    std::vector<std::string> missing;      // recorded here, absent from the block
    std::vector<FoundKey> unexpected;      // in the block, not recorded here (or other options)
    std::vector<FoundKey> outside;         // every key line outside the block
    std::vector<FoundKey> removable;       // what sync --exclusive would remove outside the block
    std::string protected_login_key;       // fingerprint sync --exclusive never removes
    bool drift() const { return !unknown.empty() || !missing.empty() || !unexpected.empty(); }
};

struct KeyAuditRequest {
    std::string nodeset;
    std::string remote_user;  // "" = every managed account on those nodes, and the login user
};
Result<std::vector<NodeResult<AccountAudit>>> key_audit(OpsContext& ctx, const KeyAuditRequest& request);

struct KeySyncRequest {
    std::string nodeset;
    std::string remote_user;
    bool exclusive = false;
    bool dry_run = false;
    // exclusive: shown what would be removed outside the blocks; false stops
    // before anything is written.
    std::function<bool(const std::vector<NodeResult<AccountAudit>>&)> confirm_removals;
};
struct KeySyncResult {
    std::vector<NodeResult<AccountAudit>> plan;         // exclusive / dry run: what was found first
    std::vector<NodeResult<AccountEdit>> outcomes;   // empty on a dry run or a refused confirmation
    bool confirmed = true;
};
Result<KeySyncResult> key_sync(OpsContext& ctx, const KeySyncRequest& request);

}  // namespace cc
