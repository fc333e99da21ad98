// Internal to lib/ssh: the libssh2 Connection (exec in ssh_exec.cpp, file
// transfer in ssh_sftp.cpp).
#pragma once
#include <memory>

#include "ssh/session.hpp"

namespace cc::ssh {

class SshConnection final : public Connection {
public:
    SshConnection(std::unique_ptr<Session> session, HostKey key) : session_(std::move(session)), key_(std::move(key)) {}
    ~SshConnection() override;
    const HostKey& host_key() const override { return key_; }
    using Connection::exec;
    Result<ExecResult> exec(const std::string& command, milliseconds timeout, const OutputSink& sink) override;
    Result<std::uint64_t> put_file(const std::string& local_path, const std::string& remote_path, unsigned mode,
                                   milliseconds idle_timeout) override;
    Result<std::uint64_t> get_file(const std::string& remote_path, const std::string& local_path,
                                   milliseconds idle_timeout) override;
    Result<void> make_dir(const std::string& remote_path, unsigned mode, milliseconds timeout) override;

private:
    Result<LIBSSH2_SFTP*> sftp(Clock::time_point deadline, milliseconds budget);
    Result<LIBSSH2_SFTP_HANDLE*> open_remote(LIBSSH2_SFTP* sftp, const std::string& path, unsigned long flags,
                                             unsigned mode, Clock::time_point deadline, milliseconds budget);
    std::unique_ptr<Session> session_;
    HostKey key_;
    LIBSSH2_SFTP* sftp_ = nullptr;
};

}  // namespace cc::ssh
