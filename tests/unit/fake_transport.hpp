// A scripted Transport. Per host: a connect error or delay, and rules that
// answer commands. A rule matches a command (by substring or predicate) and
// answers its 1st call with its 1st reply, its 2nd with its 2nd, …, and every
// later call with its last. A reply is a result, an error, or computed from
// the call (a node whose state the commands change); its delay honours the
// exec timeout and Ctrl-C the way the real transport does. Every connect and
// every (host, command, stdin) is recorded.
#pragma once
#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <thread>

#include <fmt/format.h>

#include "core/interrupt.hpp"
#include "ssh/transport.hpp"

struct FakeCall {
    std::string host;
    std::string command;
    std::string input;
};

struct FakeReply {
    cc::ExecResult result;
    std::optional<cc::Error> error;        // answered instead of `result`
    std::chrono::milliseconds delay{0};    // before answering; cut by the exec timeout and Ctrl-C
    std::function<cc::ExecResult(const FakeCall&)> compute;  // when set, answers instead of `result`

    FakeReply() = default;
    FakeReply(cc::ExecResult r) : result(std::move(r)) {}  // NOLINT: a canned result is a reply
};

// A command that exits with `status`, printing `out` and `err`.
inline FakeReply exits(int status, std::string out = "", std::string err = "") {
    cc::ExecResult r;
    r.exit_status = status;
    r.out = std::move(out);
    r.err = std::move(err);
    return r;
}
inline FakeReply fails_with(cc::ErrorKind kind, std::string message) {
    FakeReply reply;
    reply.error = cc::Error{kind, std::move(message)};
    return reply;
}
inline FakeReply after(std::chrono::milliseconds delay, FakeReply reply) {
    reply.delay = delay;
    return reply;
}
inline FakeReply computed(std::function<cc::ExecResult(const FakeCall&)> compute) {
    FakeReply reply;
    reply.compute = std::move(compute);
    return reply;
}

struct FakeRule {
    std::function<bool(const std::string& command)> matches;
    std::vector<FakeReply> replies;
    std::size_t calls = 0;
};

struct FakeHost {
    cc::HostKey key = cc::host_key_from_blob("ssh-ed25519", "fake-key");
    std::optional<cc::Error> connect_error;
    std::chrono::milliseconds connect_delay{0};  // cut by the connect timeout and Ctrl-C
    // Refuses some logins (a user, a key) with an error; nullopt lets them in.
    std::function<std::optional<cc::Error>(const cc::Target&)> refuse_login;
    std::string login_key_fingerprint;           // what the connection reports it logged in with
    // The last rule added that matches a command answers it, so a test can
    // override what a fixture set up. A command no rule matches fails.
    std::vector<FakeRule> rules;
    // serve_remote_port: the port the node "listens" on (0: refused, as by default); the
    // forward then waits for its stop flag. Handlers are never driven: no byte moves.
    int forward_port = 0;

    FakeHost& on(std::function<bool(const std::string&)> matches, std::vector<FakeReply> replies) {
        rules.push_back({std::move(matches), std::move(replies)});
        return *this;
    }
    FakeHost& on(std::string substring, std::vector<FakeReply> replies) {
        return on([substring](const std::string& c) { return c.find(substring) != std::string::npos; },
                  std::move(replies));
    }
    FakeHost& always(FakeReply reply) {
        return on([](const std::string&) { return true; }, {std::move(reply)});
    }
};

class FakeTransport final : public cc::Transport {
public:
    std::map<std::string, FakeHost> hosts;  // by Target::host

    cc::Result<std::unique_ptr<cc::Connection>> connect(const cc::Target& t, const cc::HostKeyCheck& check,
                                                        const cc::ConnectOptions& options) override {
        {
            std::lock_guard lock(mutex_);
            connects_.push_back(t.host);
        }
        auto it = hosts.find(t.host);
        if (it == hosts.end()) return cc::fail(cc::ErrorKind::unreachable, "no route to " + t.host);
        if (auto waited = wait(it->second.connect_delay, options.connect_timeout, cc::describe(t) + ": connect");
            !waited)
            return std::unexpected(waited.error());
        if (it->second.connect_error) return std::unexpected(*it->second.connect_error);
        if (it->second.refuse_login)
            if (auto refused = it->second.refuse_login(t)) return std::unexpected(*refused);
        if (auto ok = cc::decide_host_key(t.node, cc::describe(t), it->second.key, check, {}); !ok)
            return std::unexpected(ok.error());
        return std::unique_ptr<cc::Connection>(std::make_unique<Conn>(*this, it->first, it->second));
    }

    // A connection to `host` without the ops around it (tests of code that takes a Connection&).
    std::unique_ptr<cc::Connection> open(const std::string& host) {
        return std::make_unique<Conn>(*this, host, hosts[host]);
    }

    std::vector<FakeCall> calls() const {
        std::lock_guard lock(mutex_);
        return calls_;
    }
    std::vector<std::string> commands() const {
        std::vector<std::string> out;
        for (const auto& c : calls()) out.push_back(c.command);
        return out;
    }
    std::vector<std::string> connects() const {  // every host a connect was tried to, in order
        std::lock_guard lock(mutex_);
        return connects_;
    }
    std::vector<std::string> forwards() const {
        std::lock_guard lock(mutex_);
        return forwards_;
    }
    void forget_records() {  // e.g. what setting up the inventory did
        std::lock_guard lock(mutex_);
        calls_.clear();
        connects_.clear();
    }

private:
    // Sleeps `delay` unless `limit` or Ctrl-C comes first.
    static cc::Result<void> wait(std::chrono::milliseconds delay, std::chrono::milliseconds limit,
                                 const std::string& what) {
        auto start = std::chrono::steady_clock::now();
        for (;;) {
            if (cc::interrupt_requested()) return cc::fail(cc::ErrorKind::interrupted, "interrupted");
            auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
            if (spent >= delay) return {};
            if (spent >= limit)
                return cc::fail(cc::ErrorKind::timeout, fmt::format("{} timed out after {} ms", what, limit.count()));
            std::this_thread::sleep_for(std::min({delay - spent, limit - spent, std::chrono::milliseconds(5)}));
        }
    }

    struct Conn final : cc::Connection {
        FakeTransport& owner;
        std::string name;
        FakeHost& host;
        Conn(FakeTransport& o, std::string n, FakeHost& h) : owner(o), name(std::move(n)), host(h) {}
        const cc::HostKey& host_key() const override { return host.key; }
        const std::string& login_key_fingerprint() const override { return host.login_key_fingerprint; }
        using cc::Connection::exec;
        cc::Result<cc::ExecResult> exec(const std::string& command, std::string_view input,
                                        std::chrono::milliseconds timeout, const cc::OutputSink& sink) override {
            FakeCall call{name, command, std::string(input)};
            std::optional<FakeReply> reply;
            {
                std::lock_guard lock(owner.mutex_);
                owner.calls_.push_back(call);
                for (auto rule = host.rules.rbegin(); rule != host.rules.rend(); ++rule) {
                    if (!rule->matches(command) || rule->replies.empty()) continue;
                    reply = rule->replies[std::min(rule->calls++, rule->replies.size() - 1)];
                    break;
                }
            }
            if (!reply) return cc::fail(cc::ErrorKind::remote, "no rule on " + name + " answers: " + command);
            if (auto waited = wait(reply->delay, timeout, "node " + name + ": command"); !waited)
                return std::unexpected(waited.error());
            if (reply->error) return std::unexpected(*reply->error);
            cc::ExecResult result = reply->compute ? reply->compute(call) : reply->result;
            if (!sink) return result;
            sink(0, result.out);
            sink(1, result.err);
            result.out.clear();
            result.err.clear();
            return result;
        }
        cc::Result<cc::ForwardStats> serve_remote_port(const std::string& bind_host,
                                                       const std::function<void(int port)>& bound,
                                                       const std::function<std::unique_ptr<cc::StreamHandler>()>& make_handler,
                                                       const std::atomic<bool>& stop,
                                                       std::chrono::milliseconds idle_timeout) override {
            if (host.forward_port == 0)
                return cc::Connection::serve_remote_port(bind_host, bound, make_handler, stop, idle_timeout);
            {
                std::lock_guard lock(owner.mutex_);
                owner.forwards_.push_back(name);
            }
            bound(host.forward_port);
            while (!stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
            return cc::ForwardStats{};
        }
        cc::Result<std::uint64_t> put_file(const std::string&, const std::string&, unsigned,
                                           std::chrono::milliseconds) override {
            return cc::fail(cc::ErrorKind::remote, "file transfer is not scripted in this fake");
        }
        cc::Result<std::uint64_t> get_file(const std::string&, int, std::chrono::milliseconds) override {
            return cc::fail(cc::ErrorKind::remote, "file transfer is not scripted in this fake");
        }
        cc::Result<void> make_dir(const std::string&, unsigned, std::chrono::milliseconds) override {
            return cc::fail(cc::ErrorKind::remote, "file transfer is not scripted in this fake");
        }
    };
    mutable std::mutex mutex_;
    std::vector<std::string> forwards_;  // hosts a forward listened on, in order
    std::vector<FakeCall> calls_;
    std::vector<std::string> connects_;
};

// What the facts script prints on a node, in sections framed by the nonce the
// command carries (lib/remote/sections). `gpus_csv`: nvidia-smi's answer to
// lib/gpu's query (with its header); empty: a node without nvidia-smi.
inline FakeReply facts_answer(const std::string& hostname, const std::string& gpus_csv = "") {
    return computed([=](const FakeCall& call) {
        std::smatch m;
        std::regex_search(call.command, m, std::regex("@@%s %s[^0-9a-f]*([0-9a-f]{32})"));
        std::vector<std::pair<std::string, std::string>> sections = {
            {"hostname", hostname}, {"os", "Debian 12"}, {"kernel", "6.1"}, {"arch", "x86_64"}, {"cpus", "8"},
            {"memory_kib", "1000"}, {"disk_total_kib", "100000000"}, {"disk_free_kib", "50000000"},
            {"runtime", "podman"}, {"runtime_version", "4.3.1"}};
        if (gpus_csv.empty()) sections.insert(sections.end(), {{"vendor", "none"}});
        else sections.insert(sections.end(), {{"vendor", "nvidia"}, {"gpus", gpus_csv}, {"gpus_rc", "0"}});
        cc::ExecResult r;
        r.exit_status = 0;
        for (const auto& [name, body] : sections) r.out += "\n@@" + m[1].str() + " " + name + "\n" + body;
        r.out += "\n@@" + m[1].str() + " .\n";
        return r;
    });
}
