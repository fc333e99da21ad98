// A scripted Transport: each host either fails to connect with a given
// error or answers every command with a canned result.
#pragma once
#include <map>
#include <mutex>

#include "ssh/transport.hpp"

struct FakeHost {
    cc::HostKey key = cc::host_key_from_blob("ssh-ed25519", "fake-key");
    std::optional<cc::Error> connect_error;
    cc::ExecResult answer;
    std::optional<cc::Error> exec_error;
    std::string login_key_fingerprint;  // what the connection reports it logged in with
};

class FakeTransport final : public cc::Transport {
public:
    std::map<std::string, FakeHost> hosts;
    std::vector<std::string> commands;  // every command run, in order
    std::vector<std::string> inputs;    // the stdin each of them got, parallel to `commands`

    cc::Result<std::unique_ptr<cc::Connection>> connect(const cc::Target& t, const cc::HostKeyCheck& check,
                                                        const cc::ConnectOptions&) override {
        auto it = hosts.find(t.host);
        if (it == hosts.end()) return cc::fail(cc::ErrorKind::unreachable, "no route to " + t.host);
        if (it->second.connect_error) return std::unexpected(*it->second.connect_error);
        if (auto ok = cc::decide_host_key(t.node, cc::describe(t), it->second.key, check, {}); !ok)
            return std::unexpected(ok.error());
        return std::unique_ptr<cc::Connection>(std::make_unique<Conn>(*this, it->second));
    }

private:
    struct Conn final : cc::Connection {
        FakeTransport& owner;
        FakeHost& host;
        Conn(FakeTransport& o, FakeHost& h) : owner(o), host(h) {}
        const cc::HostKey& host_key() const override { return host.key; }
        const std::string& login_key_fingerprint() const override { return host.login_key_fingerprint; }
        using cc::Connection::exec;
        cc::Result<cc::ExecResult> exec(const std::string& command, std::string_view input, std::chrono::milliseconds,
                                        const cc::OutputSink& sink) override {
            {
                std::lock_guard lock(owner.mutex_);
                owner.commands.push_back(command);
                owner.inputs.emplace_back(input);
            }
            if (host.exec_error) return std::unexpected(*host.exec_error);
            if (!sink) return host.answer;
            cc::ExecResult streamed = host.answer;
            sink(0, streamed.out);
            sink(1, streamed.err);
            streamed.out.clear();
            streamed.err.clear();
            return streamed;
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
    std::mutex mutex_;
};

inline cc::ExecResult facts_answer(const std::string& hostname, const std::string& extra = "") {
    cc::ExecResult r;
    r.exit_status = 0;
    r.out = "hostname\t" + hostname +
            "\nos\tDebian 12\nkernel\t6.1\narch\tx86_64\ncpus\t8\nmemory_kib\t1000\ndisk_total_kib\t"
            "100000000\ndisk_free_kib\t50000000\nruntime\tpodman\nruntime_version\t4.3.1\n" + extra;
    return r;
}
