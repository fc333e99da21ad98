// Registered public keys and where they were pushed: the `keys`,
// `key_accounts` and `key_placements` tables (schema version 2).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "inventory/sqlite.hpp"

namespace cc {

// A public key registered with `key add`.
struct KeyRecord {
    std::string name;
    std::string type;         // "ssh-ed25519"
    std::string base64;       // the key blob as written in authorized_keys
    std::string fingerprint;  // "SHA256:…" as ssh-keygen -lf prints it; unique
    std::string comment;
    std::string owner;        // the person it belongs to, "" if not given
    std::string created_at;
};

// One key written into one remote user's managed block on one node.
struct KeyPlacement {
    std::string key;          // KeyRecord::name
    std::string node;
    std::string remote_user;
    std::string options;      // authorized_keys options, "" for none
    std::string pushed_at;
};

// A (node, remote user) whose authorized_keys clusterctl manages: kept even
// when its last key is revoked, so sync and audit still visit it.
struct KeyAccount {
    std::string node;
    std::string remote_user;
};

// Reached as `inventory.keys()`; every change is one transaction.
class KeyTable {
public:
    explicit KeyTable(sql::Database& db) : db_(db) {}

    // Refuses a taken name and a key already registered under another name
    // (same fingerprint), naming it.
    Result<void> add(const KeyRecord& key);
    Result<std::vector<KeyRecord>> list();  // by name
    Result<KeyRecord> get(const std::string& name);  // not_found when absent
    Result<std::optional<KeyRecord>> find_by_fingerprint(const std::string& fingerprint);
    // Removes the key and its placements.
    Result<void> remove(const std::string& name);

    // By node, remote user, key.
    Result<std::vector<KeyPlacement>> placements();
    Result<std::vector<KeyAccount>> accounts();  // by node, remote user
    // One transaction: upserts `set` (by key, node, remote user; the account
    // is recorded too), then deletes `removed` (matched by key, node, remote user).
    Result<void> record_placements(const std::vector<KeyPlacement>& set, const std::vector<KeyPlacement>& removed);

private:
    sql::Database& db_;
};

}  // namespace cc
