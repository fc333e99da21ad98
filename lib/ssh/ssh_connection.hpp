// Internal to lib/ssh: the libssh2 Connection (exec in ssh_exec.cpp, file
// transfer in ssh_sftp.cpp).
#pragma once
#include <memory>
#include <string>
#include <string_view>

#include "ssh/session.hpp"

namespace cc::ssh {

// libssh2 1.10 cannot send an exec request much over 17 KB ("Unable to send
// channel request"), so a longer command line travels on stdin ahead of the
// command's own input, and the channel runs this short fixed command instead:
// it reads exactly `script_size` bytes of script, then runs it with the rest
// of stdin as its input.
constexpr std::size_t kLongCommand = 16 * 1024;
std::string command_from_stdin(std::size_t script_size, bool input_follows);

class SshConnection final : public Connection {
public:
    // `login_key_fingerprint`: "SHA256:…" of the key authentication succeeded with, or "".
    SshConnection(std::unique_ptr<Session> session, HostKey key, std::string login_key_fingerprint, Steps steps)
        : session_(std::move(session)),
          key_(std::move(key)),
          login_key_fingerprint_(std::move(login_key_fingerprint)),
          steps_(std::move(steps)) {}
    ~SshConnection() override;
    const HostKey& host_key() const override { return key_; }
    const std::string& login_key_fingerprint() const override { return login_key_fingerprint_; }
    bool use_pty(std::optional<PtyRequest> pty) override {
        pty_ = std::move(pty);
        return true;
    }
    using Connection::exec;
    // Streams `input` as the channel takes it (ssh_exec.cpp).
    Result<ExecResult> exec(const std::string& command, ByteSource& input, milliseconds timeout,
                            const OutputSink& sink) override;
    // The same over a MemorySource.
    Result<ExecResult> exec(const std::string& command, std::string_view input, milliseconds timeout,
                            const OutputSink& sink) override;
    using Connection::put_file;
    Result<std::uint64_t> put_file(ByteSource& source, const std::string& remote_path, unsigned mode,
                                   milliseconds idle_timeout) override;
    Result<std::uint64_t> get_file(const std::string& remote_path, int local_fd, milliseconds idle_timeout) override;
    Result<void> make_dir(const std::string& remote_path, unsigned mode, milliseconds timeout) override;
    // ssh -R driving StreamHandlers (ssh_forward.cpp).
    Result<ForwardStats> serve_remote_port(const std::string& bind_host, const std::function<void(int port)>& bound,
                                           const std::function<std::unique_ptr<StreamHandler>()>& make_handler,
                                           const std::atomic<bool>& stop, milliseconds idle_timeout) override;

private:
    Result<LIBSSH2_SFTP*> sftp(Clock::time_point deadline, milliseconds budget);
    Result<LIBSSH2_SFTP_HANDLE*> open_remote(LIBSSH2_SFTP* sftp, const std::string& path, unsigned long flags,
                                             unsigned mode, Clock::time_point deadline, milliseconds budget);
    std::unique_ptr<Session> session_;
    HostKey key_;
    std::string login_key_fingerprint_;
    Steps steps_;
    LIBSSH2_SFTP* sftp_ = nullptr;
    std::optional<PtyRequest> pty_;
};

}  // namespace cc::ssh
