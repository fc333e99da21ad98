#include "ssh/known_hosts.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <optional>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fmt/format.h>

#include "core/base64.hpp"
#include "core/local_paths.hpp"
#include "core/sha256.hpp"

namespace cc {

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view next_token(std::string_view& rest) {
    std::size_t start = 0;
    while (start < rest.size() && is_blank(rest[start])) ++start;
    std::size_t end = start;
    while (end < rest.size() && !is_blank(rest[end])) ++end;
    std::string_view token = rest.substr(start, end - start);
    rest.remove_prefix(end);
    return token;
}

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// `*` and `?` globbing without recursion: a hostile pattern such as
// "*a*a*a*a*b" costs at most name × pattern steps, not exponential time.
bool glob_matches(std::string_view name, std::string_view pattern) {
    std::size_t n = 0, p = 0;
    std::size_t star = std::string_view::npos, resume = 0;
    while (n < name.size()) {
        if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = n;
        } else if (p < pattern.size() && (pattern[p] == '?' || lower(pattern[p]) == name[n])) {
            ++n;
            ++p;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            n = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

// "|1|base64(salt)|base64(HMAC-SHA1(salt, name))", as ssh-keygen -H writes.
bool hashed_matches(std::string_view field, std::string_view name) {
    constexpr std::string_view prefix = "|1|";
    if (!field.starts_with(prefix)) return false;
    field.remove_prefix(prefix.size());
    auto bar = field.find('|');
    if (bar == std::string_view::npos) return false;
    auto salt = base64_decode(field.substr(0, bar));
    auto hash = base64_decode(field.substr(bar + 1));
    if (!salt || !hash || salt->size() != 20 || hash->size() != 20) return false;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!HMAC(EVP_sha1(), salt->data(), static_cast<int>(salt->size()),
              reinterpret_cast<const unsigned char*>(name.data()), name.size(), digest, &length))
        return false;
    return length == hash->size() && std::memcmp(digest, hash->data(), length) == 0;
}

std::optional<KnownHostsEntry> parse_line(std::string_view line, std::string_view name, int number) {
    std::string_view rest = line;
    std::string_view field = next_token(rest);
    if (field.empty() || field.front() == '#') return std::nullopt;
    KnownHostsEntry entry;
    entry.line = number;
    if (field.front() == '@') {
        // ssh skips a line with a marker it does not know; so do we.
        if (field == "@revoked") entry.marker = KnownHostsMarker::revoked;
        else if (field == "@cert-authority") entry.marker = KnownHostsMarker::cert_authority;
        else return std::nullopt;
        field = next_token(rest);
    }
    if (field.empty() || !known_hosts_field_matches(field, name)) return std::nullopt;
    entry.type = next_token(rest);
    entry.base64 = next_token(rest);
    if (entry.type.empty() || !base64_decode(entry.base64)) return std::nullopt;
    return entry;
}

bool same_blob(std::string_view a, std::string_view b) {
    auto x = base64_decode(a), y = base64_decode(b);
    return x && y && *x == *y;
}

std::string fingerprint_of(const KnownHostsEntry& entry) {
    auto blob = base64_decode(entry.base64);
    return blob ? sha256_fingerprint(*blob) : entry.base64;
}

}  // namespace

std::string known_hosts_name(std::string_view host, int port) {
    std::string name;
    for (char c : host) name += lower(c);
    if (port == 22) return name;
    return fmt::format("[{}]:{}", name, port);
}

bool known_hosts_field_matches(std::string_view field, std::string_view name) {
    if (field.starts_with('|')) return hashed_matches(field, name);
    // Any matching negated pattern rules the line out, whatever else matches.
    bool positive = false;
    while (true) {
        auto comma = field.find(',');
        std::string_view pattern = field.substr(0, comma);
        bool negated = pattern.starts_with('!');
        if (negated) pattern.remove_prefix(1);
        if (glob_matches(name, pattern)) {
            if (negated) return false;
            positive = true;
        }
        if (comma == std::string_view::npos) return positive;
        field.remove_prefix(comma + 1);
    }
}

std::vector<KnownHostsEntry> find_known_hosts(std::string_view text, std::string_view host, int port) {
    std::string name = known_hosts_name(host, port);
    std::vector<KnownHostsEntry> found;
    int number = 0;
    while (!text.empty()) {
        auto newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        ++number;
        if (line.ends_with('\r')) line.remove_suffix(1);
        if (auto entry = parse_line(line, name, number)) found.push_back(std::move(*entry));
    }
    return found;
}

Result<std::vector<KnownHostsEntry>> read_known_hosts(const std::string& path, std::string_view host, int port) {
    std::string file = expand_home(path);
    // O_NONBLOCK: a FIFO planted in its place must not hang the connect.
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT) return std::vector<KnownHostsEntry>{};
        return fail(ErrorKind::io, fmt::format("cannot read known_hosts \"{}\": {}", file, std::strerror(errno)));
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st{};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return fail(ErrorKind::io, fmt::format("known_hosts \"{}\" is not a regular file", file));
    auto too_large = [&] {
        return fail(ErrorKind::io, fmt::format("known_hosts \"{}\" is larger than {} bytes; refusing to read it", file,
                                               kMaxKnownHostsBytes));
    };
    if (static_cast<std::size_t>(st.st_size) > kMaxKnownHostsBytes) return too_large();
    std::string text;
    char buffer[65536];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            return fail(ErrorKind::io, fmt::format("cannot read known_hosts \"{}\": {}", file, std::strerror(errno)));
        if (n == 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
        if (text.size() > kMaxKnownHostsBytes) return too_large();  // it grew while we read
    }
    return find_known_hosts(text, host, port);
}

KnownHostsResult judge_known_hosts(const std::vector<KnownHostsEntry>& entries, const HostKey& seen) {
    KnownHostsResult result;
    for (const auto& e : entries)
        if (e.marker == KnownHostsMarker::revoked && same_blob(e.base64, seen.base64))
            return {KnownHostsMatch::revoked, fingerprint_of(e), e.line, ""};
    for (const auto& e : entries) {
        if (e.marker == KnownHostsMarker::cert_authority && result.unsupported.empty())
            result.unsupported = fmt::format("line {} is a @cert-authority entry: host certificates are not "
                                             "supported, so it is not trusted",
                                             e.line);
        if (e.marker != KnownHostsMarker::none) continue;
        if (e.type == seen.type && same_blob(e.base64, seen.base64)) {
            result.match = KnownHostsMatch::match;
            result.line = e.line;
        } else if (e.type == seen.type && result.match == KnownHostsMatch::not_found) {
            result.match = KnownHostsMatch::mismatch;
            result.recorded_fingerprint = fingerprint_of(e);
            result.line = e.line;
        }
    }
    return result;
}

std::vector<std::string> known_key_types(const std::vector<KnownHostsEntry>& entries) {
    std::vector<std::string> types;
    for (const auto& e : entries)
        if (e.marker == KnownHostsMarker::none && std::find(types.begin(), types.end(), e.type) == types.end())
            types.push_back(e.type);
    return types;
}

}  // namespace cc
