// The seam between the use cases and the network: ops/ talks to nodes only
// through Transport, so unit tests can script a fake one.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/byte_source.hpp"
#include "core/stream_handler.hpp"
#include "core/error.hpp"
#include "ssh/host_key.hpp"

namespace cc {

struct Target {
    std::string node;  // inventory name, for messages
    std::string host;
    int port = 22;
    std::string user;
    std::vector<std::string> identity_files;  // tried in order after the agent
    bool use_agent = true;
};

// Receives one line per connection step (`node01: 12 ms: TCP connected to …`),
// from worker threads; lib/ never prints, so -v is cli/ filling this in.
using StepLog = std::function<void(std::string_view line)>;

struct ConnectOptions {
    // Bounds TCP connect, banner, key exchange and authentication together.
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds keepalive{15'000};
    StepLog log;  // steps of connecting and of every exec on the connection; none when empty
};

struct ExecResult {
    std::string out;
    std::string err;
    int exit_status = -1;
    std::string exit_signal;  // "" unless killed by a signal ("KILL", "TERM", …)
    std::chrono::milliseconds duration{0};
};

// Receives output as it arrives (stream 0 = stdout, 1 = stderr). When given,
// output goes only to the sink, so a large output is never held in memory.
using OutputSink = std::function<void(int stream, std::string_view data)>;

struct ForwardStats {
    std::uint64_t connections = 0;
    std::uint64_t bytes_sent = 0;      // to the node
    std::uint64_t bytes_received = 0;  // from the node
};

// A pseudo-terminal for an interactive command (`instance exec` from a terminal).
struct PtyRequest {
    std::string term = "xterm";
    unsigned cols = 80;
    unsigned rows = 24;
};

class Connection {
public:
    virtual ~Connection() = default;
    // The execs that follow run on a pseudo-terminal (nullopt: none, the default). False
    // where the connection cannot give one (test fakes).
    virtual bool use_pty(std::optional<PtyRequest> pty) { return !pty; }
    virtual const HostKey& host_key() const = 0;
    // "SHA256:…" of the public key this connection logged in with, or "" when
    // it cannot be told (a PEM key file without a .pub beside it).
    virtual const std::string& login_key_fingerprint() const = 0;
    // Runs one shell command line with `input` as its stdin (then EOF; an
    // empty input is an immediate EOF); fails with ErrorKind::timeout past `timeout`.
    virtual Result<ExecResult> exec(const std::string& command, std::string_view input,
                                    std::chrono::milliseconds timeout, const OutputSink& sink) = 0;
    // The same with stdin pulled from `input` as the remote reads it (back-pressure:
    // a node that reads slowly is asked for less), so one source can feed many nodes
    // at the pace of the slowest in bounded memory; EOF goes to the remote at the
    // source's EOF, and a source's read error fails the command. The real connection
    // streams; this default (for test fakes) reads the whole source first.
    virtual Result<ExecResult> exec(const std::string& command, ByteSource& input, std::chrono::milliseconds timeout,
                                    const OutputSink& sink) {
        std::string all;
        char buffer[64 * 1024];
        for (;;) {
            auto chunk = input.read(buffer, timeout);
            if (!chunk) return std::unexpected(chunk.error());
            all.append(buffer, chunk->size);
            if (chunk->eof) break;
        }
        return exec(command, std::string_view(all), timeout, sink);
    }
    Result<ExecResult> exec(const std::string& command, std::chrono::milliseconds timeout, const OutputSink& sink) {
        return exec(command, {}, timeout, sink);
    }
    Result<ExecResult> exec(const std::string& command, std::chrono::milliseconds timeout) {
        return exec(command, {}, timeout, nullptr);
    }

    // SFTP on the same session. Transfers stream in chunks and fail with
    // ErrorKind::timeout only when no byte moved for `idle_timeout`.
    // put_file creates `remote_path` (which must not exist yet), writes what `source`
    // gives up to its EOF (pulled only as fast as the node takes it), and sets `mode`.
    // The real connection overrides this one; the default refuses (test fakes
    // that script transfers override either overload).
    virtual Result<std::uint64_t> put_file(ByteSource& source, const std::string& remote_path, unsigned mode,
                                           std::chrono::milliseconds idle_timeout);
    // The same from a local file: opens it and calls the overload above (ssh_sftp.cpp).
    virtual Result<std::uint64_t> put_file(const std::string& local_path, const std::string& remote_path,
                                           unsigned mode, std::chrono::milliseconds idle_timeout);
    // get_file writes a regular remote file into `local_fd`, which the caller opened (and decided
    // how safely), and fsyncs it; a directory or other non-regular file is refused.
    virtual Result<std::uint64_t> get_file(const std::string& remote_path, int local_fd,
                                           std::chrono::milliseconds idle_timeout) = 0;
    // Succeeds when the directory exists already.
    virtual Result<void> make_dir(const std::string& remote_path, unsigned mode, std::chrono::milliseconds timeout) = 0;

    // Remote port forwarding (ssh -R): the node listens on `bind_host` (its loopback) at a
    // port it picks, reported through `bound` once listening; every connection made to it is
    // driven by a fresh handler from `make_handler`, all on this thread, until `stop` is set,
    // or no byte moves for `idle_timeout` while a connection is open (ErrorKind::timeout).
    // The listener is cancelled on return. Use a connection of its own: nothing else may run
    // on it meanwhile. The default refuses (test fakes).
    virtual Result<ForwardStats> serve_remote_port(const std::string& bind_host, const std::function<void(int port)>& bound,
                                                   const std::function<std::unique_ptr<StreamHandler>()>& make_handler,
                                                   const std::atomic<bool>& stop, std::chrono::milliseconds idle_timeout);
};

class Transport {
public:
    virtual ~Transport() = default;
    virtual Result<std::unique_ptr<Connection>> connect(const Target& target, const HostKeyCheck& check,
                                                        const ConnectOptions& options) = 0;
};

// The real one: libssh2 over TCP.
std::unique_ptr<Transport> make_ssh_transport();

// `node "gpu01" (root@10.0.0.1:22)`: how every message names a target.
std::string describe(const Target& target);

}  // namespace cc
