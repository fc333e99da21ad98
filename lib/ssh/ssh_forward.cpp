// Remote port forwarding (ssh -R) driving StreamHandlers: see Connection::serve_remote_port.
#include "ssh/transport.hpp"

namespace cc {

// Skeleton: the real SshConnection override is built in issue 11 (image push).
Result<ForwardStats> Connection::serve_remote_port(const std::string& bind_host, const std::function<void(int)>&,
                                                   const std::function<std::unique_ptr<StreamHandler>()>&,
                                                   const std::atomic<bool>&, std::chrono::milliseconds) {
    return fail(ErrorKind::remote, "cannot listen on " + bind_host + ": this connection has no port forwarding");
}

}  // namespace cc
