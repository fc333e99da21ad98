// Connecting: TCP, SSH handshake, host key decision and authentication, all
// against one deadline, so a node that accepts TCP and then stalls is cut at
// the connect timeout.
#include <algorithm>
#include <arpa/inet.h>
#include <cstdlib>
#include <mutex>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "core/local_paths.hpp"
#include "core/sha256.hpp"
#include "ssh/known_hosts.hpp"
#include "ssh/private_key.hpp"
#include "ssh/ssh_connection.hpp"

namespace cc {

namespace ssh {
namespace {

// getaddrinfo has no timeout; nodes are normally given as addresses or in
// /etc/hosts, so a resolver stall is the one step not bounded here.
Result<Socket> tcp_connect(const Target& t, Clock::time_point deadline, milliseconds timeout) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    std::string port = std::to_string(t.port);
    if (int rc = ::getaddrinfo(t.host.c_str(), port.c_str(), &hints, &found); rc != 0)
        return fail(ErrorKind::unreachable, fmt::format("{}: cannot resolve host: {}", describe(t), gai_strerror(rc)));
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(found, freeaddrinfo);

    std::string last_error = "no address";
    for (addrinfo* ai = found; ai; ai = ai->ai_next) {
        Socket sock(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
        if (sock.fd() < 0) return fail(ErrorKind::io, fmt::format("socket: {}", std::strerror(errno)));
        if (::connect(sock.fd(), ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
            last_error = std::strerror(errno);
            continue;
        }
        for (;;) {
            if (interrupt_requested()) return fail(ErrorKind::interrupted, "interrupted");
            if (Clock::now() >= deadline)
                return fail(ErrorKind::timeout,
                            fmt::format("{}: connect timed out after {}", describe(t), seconds_text(timeout)));
            pollfd p{sock.fd(), POLLOUT, 0};
            int n = ::poll(&p, 1, remaining_ms(deadline));
            if (n > 0) break;
            if (n < 0 && errno != EINTR) return fail(ErrorKind::io, fmt::format("poll: {}", std::strerror(errno)));
        }
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(sock.fd(), SOL_SOCKET, SO_ERROR, &err, &len);
        if (err == 0) {
            int one = 1;
            ::setsockopt(sock.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            return sock;
        }
        last_error = std::strerror(err);
    }
    return fail(ErrorKind::unreachable, fmt::format("{}: cannot connect: {}", describe(t), last_error));
}


const char* host_key_type_name(int type) {
    switch (type) {
        case LIBSSH2_HOSTKEY_TYPE_RSA: return "ssh-rsa";
        case LIBSSH2_HOSTKEY_TYPE_DSS: return "ssh-dss";
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: return "ecdsa-sha2-nistp256";
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: return "ecdsa-sha2-nistp384";
        case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: return "ecdsa-sha2-nistp521";
        case LIBSSH2_HOSTKEY_TYPE_ED25519: return "ssh-ed25519";
        default: return "unknown";
    }
}


// Offer the pinned key type first, else the types known_hosts has for the
// host, so the server presents the key we can check (as ssh orders them).
std::string host_key_preferences(const HostKeyCheck& check, const std::vector<KnownHostsEntry>& known) {
    std::vector<std::string> prefs = {"ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
                                      "ecdsa-sha2-nistp521", "ssh-rsa"};
    std::vector<std::string> first = check.pinned ? std::vector<std::string>{check.pinned->type} : known_key_types(known);
    std::vector<std::string> ordered;
    for (const auto& type : first)
        if (std::ranges::find(prefs, type) != prefs.end() && std::ranges::find(ordered, type) == ordered.end())
            ordered.push_back(type);
    for (const auto& type : prefs)
        if (std::ranges::find(ordered, type) == ordered.end()) ordered.push_back(type);
    std::string text;
    for (const auto& type : ordered) text += (text.empty() ? "" : ",") + type;
    return text;
}

// libssh2 1.10 signs RSA keys only with ssh-rsa (SHA-1); OpenSSH >= 8.8 refuses
// that signature, so an RSA key fails there however correct it is.
std::string rsa_advice(const std::string& file) {
    return fmt::format("RSA key {} cannot log in to OpenSSH >= 8.8 with this libssh2 (1.10 signs only ssh-rsa/SHA-1, "
                       "which such servers reject): use an ed25519 or ecdsa key (ssh-keygen -t ed25519)",
                       file);
}

// Logs in; on success, returns the public key blob that was accepted ("" when
// it cannot be told) and sets `how` to the method and key, for -v.
Result<std::string> authenticate(Session& s, const Target& t, Clock::time_point deadline, milliseconds budget,
                                 std::string& how) {
    const std::string what = "authentication";
    std::vector<std::string> notes;
    if (t.use_agent && std::getenv("SSH_AUTH_SOCK")) {
        if (LIBSSH2_AGENT* agent = libssh2_agent_init(s.get())) {
            std::string accepted;
            if (libssh2_agent_connect(agent) == 0 && libssh2_agent_list_identities(agent) == 0) {
                libssh2_agent_publickey* identity = nullptr;
                libssh2_agent_publickey* previous = nullptr;
                while (libssh2_agent_get_identity(agent, &identity, previous) == 0) {
                    previous = identity;
                    auto rc = s.retry([&] { return libssh2_agent_userauth(agent, t.user.c_str(), identity); },
                                      deadline, what, budget);
                    if (!rc) {
                        libssh2_agent_disconnect(agent);
                        libssh2_agent_free(agent);
                        return std::unexpected(rc.error());
                    }
                    if (*rc == 0) {
                        how = fmt::format("ssh-agent key {}", identity->comment ? identity->comment : "");
                        if (identity->blob)
                            accepted.assign(reinterpret_cast<const char*>(identity->blob), identity->blob_len);
                        break;
                    }
                }
            } else {
                notes.push_back("ssh-agent not usable");
            }
            libssh2_agent_disconnect(agent);
            libssh2_agent_free(agent);
            if (libssh2_userauth_authenticated(s.get())) return accepted;
        }
    }
    bool tried_any = false;
    for (const auto& configured : t.identity_files) {
        std::string file = expand_home(configured);
        PrivateKeyInfo info = inspect_private_key(file);
        if (!info.readable) continue;
        tried_any = true;
        if (info.encrypted) {
            notes.push_back(fmt::format("{} is passphrase-protected (load it into ssh-agent)", file));
            continue;
        }
        auto rc = s.retry(
            [&] {
                return libssh2_userauth_publickey_fromfile_ex(s.get(), t.user.c_str(),
                                                              static_cast<unsigned>(t.user.size()), nullptr,
                                                              file.c_str(), "");
            },
            deadline, what, budget);
        if (!rc) return std::unexpected(rc.error());
        if (*rc == 0) {
            how = fmt::format("key file {} ({})", file, info.type.empty() ? "key" : info.type);
            return public_key_blob(file, info);
        }
        if (info.type == "ssh-rsa") notes.push_back(rsa_advice(file));
        else notes.push_back(fmt::format("{} ({}) was refused", file, info.type.empty() ? "key" : info.type));
    }
    if (!tried_any) notes.push_back("no usable identity file (configure ssh.identity_files or use --identity)");
    std::string detail;
    for (const auto& n : notes) detail += (detail.empty() ? "" : "; ") + n;
    return fail(ErrorKind::auth, fmt::format("{}: authentication failed: {}", describe(t), detail));
}

class SshTransport final : public Transport {
public:
    SshTransport() {
        // libssh2_init is not thread-safe: run it once, before any worker thread.
        static std::once_flag once;
        std::call_once(once, [] { libssh2_init(0); });
    }

    Result<std::unique_ptr<Connection>> connect(const Target& t, const HostKeyCheck& check,
                                                const ConnectOptions& options) override {
        Steps steps(options.log, t.node);
        auto deadline = Clock::now() + options.connect_timeout;
        auto budget = options.connect_timeout;
        auto sock = tcp_connect(t, deadline, budget);
        if (!sock) return std::unexpected(sock.error());
        steps(fmt::format("TCP connected to {}:{}", t.host, t.port));
        int fd = sock->fd();
        auto session = std::make_unique<Session>(std::move(*sock), t);
        if (!session->get()) return fail(ErrorKind::io, "cannot allocate an SSH session");
        LIBSSH2_SESSION* s = session->get();

        std::vector<KnownHostsEntry> known_entries;
        if (!check.known_hosts_path.empty()) {
            auto read = read_known_hosts(check.known_hosts_path, t.host, t.port);
            if (!read) return std::unexpected(read.error());
            known_entries = std::move(*read);
        }
        libssh2_session_method_pref(s, LIBSSH2_METHOD_HOSTKEY, host_key_preferences(check, known_entries).c_str());
        libssh2_keepalive_config(s, 1, static_cast<unsigned>(std::max<long long>(1, options.keepalive.count() / 1000)));

        auto handshake = session->retry([&] { return libssh2_session_handshake(s, fd); }, deadline, "SSH handshake",
                                        budget);
        if (!handshake) return std::unexpected(handshake.error());
        if (*handshake != 0) return std::unexpected(session->failure("SSH handshake failed", *handshake));
        if (steps) {
            const char* banner = libssh2_session_banner_get(s);
            const char* kex = libssh2_session_methods(s, LIBSSH2_METHOD_KEX);
            steps(fmt::format("SSH handshake done (server {}, key exchange {})", banner ? banner : "?",
                              kex ? kex : "?"));
        }

        std::size_t key_len = 0;
        int key_type = 0;
        const char* key = libssh2_session_hostkey(s, &key_len, &key_type);
        if (!key) return std::unexpected(session->failure("no host key", 0));
        HostKey seen = host_key_from_blob(host_key_type_name(key_type), std::string_view(key, key_len));
        KnownHostsResult known = judge_known_hosts(known_entries, seen);
        if (auto decided = decide_host_key(t.node, describe(t), seen, check, known); !decided) {
            session->mark_broken();
            return std::unexpected(decided.error());
        }
        steps(fmt::format("host key verified ({} {})", seen.type, seen.fingerprint));
        std::string how;
        auto auth = authenticate(*session, t, deadline, budget, how);
        if (!auth) return std::unexpected(auth.error());
        session->mark_established();
        steps(fmt::format("authenticated as {} with {}", t.user, how));
        std::string login_key = auth->empty() ? std::string() : sha256_fingerprint(*auth);
        return std::unique_ptr<Connection>(std::make_unique<SshConnection>(std::move(session), std::move(seen),
                                                                           std::move(login_key), std::move(steps)));
    }
};

}  // namespace
}  // namespace ssh

std::string describe(const Target& t) {
    bool v6 = t.host.find(':') != std::string::npos;
    return fmt::format("node \"{}\" ({}@{}{}{}:{})", t.node, t.user, v6 ? "[" : "", t.host, v6 ? "]" : "", t.port);
}

std::unique_ptr<Transport> make_ssh_transport() { return std::make_unique<ssh::SshTransport>(); }

}  // namespace cc
