#include "ops/listening_ports.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <tuple>

#include <fmt/format.h>


namespace cc {

namespace {

constexpr std::string_view kSeparator = "--clusterctl-udp--";

// "0100007F:1F90" → 8080; "00000000000000000000000000000000:0016" → 22.
std::optional<int> local_port(std::string_view address) {
    auto colon = address.rfind(':');
    if (colon == std::string_view::npos || address.size() - colon - 1 != 4) return std::nullopt;
    int port = 0;
    auto hex = address.substr(colon + 1);
    auto [end, ec] = std::from_chars(hex.data(), hex.data() + hex.size(), port, 16);
    if (ec != std::errc() || end != hex.data() + hex.size()) return std::nullopt;
    return port;
}

std::vector<std::string_view> fields(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < line.size() && out.size() < 5) {
        while (i < line.size() && line[i] == ' ') ++i;
        std::size_t start = i;
        while (i < line.size() && line[i] != ' ') ++i;
        if (i > start) out.push_back(line.substr(start, i - start));
    }
    return out;
}

}  // namespace

std::string listening_ports_command() {
    return fmt::format("cat /proc/net/tcp /proc/net/tcp6 2>/dev/null; echo {}; cat /proc/net/udp /proc/net/udp6 2>/dev/null",
                       kSeparator);
}

Result<std::vector<HostPort>> parse_listening_ports(std::string_view output) {
    if (output.size() > kMaxProcNetBytes)
        return fail(ErrorKind::remote, fmt::format("the node's socket table is over {} bytes", kMaxProcNetBytes));
    std::vector<HostPort> out;
    std::string proto = "tcp";
    bool separated = false;
    std::size_t pos = 0;
    while (pos < output.size()) {
        auto nl = output.find('\n', pos);
        auto line = output.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? output.size() : nl + 1;
        if (line == kSeparator) {
            proto = "udp";
            separated = true;
            continue;
        }
        auto f = fields(line);
        if (f.empty() || f[0] == "sl") continue;  // blank, or a table's header
        if (f.size() < 4) return fail(ErrorKind::remote, "a malformed line in the node's /proc/net socket table");
        auto port = local_port(f[1]);
        if (!port) return fail(ErrorKind::remote, "a malformed address in the node's /proc/net socket table");
        // TCP: 0A is LISTEN. UDP: 07 (unconnected) is a bound socket that receives.
        if ((proto == "tcp" && f[3] == "0A") || (proto == "udp" && f[3] == "07")) out.push_back({*port, proto});
    }
    if (!separated) return fail(ErrorKind::remote, "the node's /proc/net socket tables could not be read");
    std::sort(out.begin(), out.end(), [](const HostPort& a, const HostPort& b) {
        return std::tie(a.proto, a.port) < std::tie(b.proto, b.port);
    });
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

}  // namespace cc
