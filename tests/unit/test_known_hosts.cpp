#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/base64.hpp"
#include "ssh/known_hosts.hpp"
#include "temp_dir.hpp"

using namespace cc;

namespace {

// Real keys, as ssh-keygen writes them.
constexpr const char* kEd25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIEhyd2oPMMOQ2QdpncgVrOAl8m9k913jMaNKP64afiHW";
constexpr const char* kOtherEd25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIJ3RfF+5twVKEX2+UW8hp14O3l5Ab5JPtJjs+HGAAp1g";

HostKey seen(const char* base64, const char* type = "ssh-ed25519") {
    return host_key_from_blob(type, *base64_decode(base64));
}

std::vector<int> lines_for(std::string_view text, std::string_view host, int port) {
    std::vector<int> lines;
    for (const auto& e : find_known_hosts(text, host, port)) lines.push_back(e.line);
    return lines;
}

std::string run(const std::string& command) {
    std::string out;
    FILE* pipe = ::popen(command.c_str(), "r");
    REQUIRE(pipe);
    char buffer[4096];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
    ::pclose(pipe);
    return out;
}

// The line numbers `ssh-keygen -F NAME` reports ("# Host NAME found: line N ...").
std::vector<int> ssh_keygen_lines(const std::string& file, const std::string& name) {
    std::string out = run("ssh-keygen -F '" + name + "' -f '" + file + "' 2>/dev/null");
    std::set<int> lines;
    for (std::size_t at = out.find("found: line "); at != std::string::npos; at = out.find("found: line ", at + 1))
        lines.insert(std::atoi(out.c_str() + at + 12));
    return {lines.begin(), lines.end()};
}

}  // namespace

TEST_CASE("known_hosts names a non-22 port as [host]:port and lowercases the host") {
    CHECK(known_hosts_name("Node01", 22) == "node01");
    CHECK(known_hosts_name("10.0.0.5", 2222) == "[10.0.0.5]:2222");
}

TEST_CASE("known_hosts lines match by plain name, [host]:port, patterns and negation") {
    std::string text = fmt::format(
        "# a comment\n"
        "\n"
        "   node01 ssh-ed25519 {0} root@node01\n"      // 3
        "[node01]:2222 ssh-ed25519 {0}\n"               // 4
        "gpu?.lab,*.rack1 ssh-ed25519 {0}\n"            // 5
        "*.lab,!bad.lab ssh-ed25519 {0}\n"              // 6
        "10.0.0.5,NODE09 ssh-ed25519 {0}\r\n"           // 7
        "@unknown-marker node01 ssh-ed25519 {0}\n"      // 8
        "node01 ssh-ed25519 not!base64\n",              // 9
        kEd25519);
    CHECK(lines_for(text, "node01", 22) == std::vector<int>{3});
    CHECK(lines_for(text, "NODE01", 22) == std::vector<int>{3});
    CHECK(lines_for(text, "node01", 2222) == std::vector<int>{4});
    CHECK(lines_for(text, "node01", 2200).empty());
    CHECK(lines_for(text, "gpu7.lab", 22) == std::vector<int>{5, 6});
    CHECK(lines_for(text, "gpu17.lab", 22) == std::vector<int>{6});
    CHECK(lines_for(text, "bad.lab", 22).empty());  // a negated match rules its line out
    CHECK(lines_for(text, "x.rack1", 22) == std::vector<int>{5});
    CHECK(lines_for(text, "node09", 22) == std::vector<int>{7});
    CHECK(lines_for(text, "10.0.0.5", 22) == std::vector<int>{7});
    CHECK(lines_for(text, "10.0.0.50", 22).empty());
}

TEST_CASE("hashed known_hosts entries match the host name they were made from") {
    // Written by `ssh-keygen -H` for "node01" and "[gpu7.lab]:2222".
    std::string text = fmt::format("|1|vmcHinoIv9S+zEV+j8nnMptP70Q=|gDZ3e9ZfiHd/K53aQylV347ba2Q= ssh-ed25519 {0}\n"
                                   "|1|yh85VGUeEJFEZjmaVZeBAN0+3Lk=|931RaResjmoaf+53PFNMh1wXs9A= ssh-ed25519 {0}\n",
                                   kEd25519);
    CHECK(lines_for(text, "node01", 22) == std::vector<int>{1});
    CHECK(lines_for(text, "gpu7.lab", 2222) == std::vector<int>{2});
    CHECK(lines_for(text, "gpu7.lab", 22).empty());
    CHECK(lines_for(text, "node02", 22).empty());
}

TEST_CASE("a @revoked key is judged revoked even when another line trusts it") {
    std::string text = fmt::format("node01 ssh-ed25519 {0}\n@revoked * ssh-ed25519 {0}\n", kEd25519);
    auto r = judge_known_hosts(find_known_hosts(text, "node01", 22), seen(kEd25519));
    CHECK(r.match == KnownHostsMatch::revoked);
    CHECK(r.line == 2);
    CHECK(r.recorded_fingerprint == seen(kEd25519).fingerprint);
    // Another key of the host is not touched by the revocation.
    auto other = judge_known_hosts(find_known_hosts(text, "node01", 22), seen(kOtherEd25519));
    CHECK(other.match == KnownHostsMatch::mismatch);
}

TEST_CASE("a known_hosts key of the same type that differs is a mismatch; another type is not found") {
    std::string text = fmt::format("node01 ssh-ed25519 {0}\n", kEd25519);
    auto entries = find_known_hosts(text, "node01", 22);
    CHECK(judge_known_hosts(entries, seen(kEd25519)).match == KnownHostsMatch::match);
    auto mismatch = judge_known_hosts(entries, seen(kOtherEd25519));
    CHECK(mismatch.match == KnownHostsMatch::mismatch);
    CHECK(mismatch.recorded_fingerprint == seen(kEd25519).fingerprint);
    CHECK(judge_known_hosts(entries, seen(kOtherEd25519, "ecdsa-sha2-nistp256")).match == KnownHostsMatch::not_found);
    CHECK(known_key_types(entries) == std::vector<std::string>{"ssh-ed25519"});
}

TEST_CASE("a @cert-authority line is reported as unsupported and never trusted") {
    std::string text = fmt::format("@cert-authority *.lab ssh-ed25519 {0}\n", kEd25519);
    auto r = judge_known_hosts(find_known_hosts(text, "gpu1.lab", 22), seen(kEd25519));
    CHECK(r.match == KnownHostsMatch::not_found);
    CHECK(r.unsupported.find("@cert-authority") != std::string::npos);
    CHECK(r.unsupported.find("line 1") != std::string::npos);
}

TEST_CASE("the host key decision refuses a revoked key even when pinned or accepted") {
    HostKeyCheck check;
    check.accept_new = true;
    check.known_hosts_path = "/k";
    KnownHostsResult revoked{KnownHostsMatch::revoked, seen(kEd25519).fingerprint, 4, ""};
    auto r = decide_host_key("n", "node \"n\"", seen(kEd25519), check, revoked);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind == ErrorKind::host_key);
    CHECK(r.error().message.find("@revoked in /k (line 4)") != std::string::npos);
    check.pinned = seen(kEd25519);
    CHECK_FALSE(decide_host_key("n", "node \"n\"", seen(kEd25519), check, revoked));
}

TEST_CASE("an oversized or non-regular known_hosts file is refused without reading it") {
    TempDir dir;
    std::string big = dir.file("big");
    {
        std::ofstream out(big);
        out << "node01 ssh-ed25519 " << kEd25519 << "\n";
    }
    REQUIRE(::truncate(big.c_str(), static_cast<off_t>(kMaxKnownHostsBytes) + 1) == 0);
    auto r = read_known_hosts(big, "node01", 22);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("larger than") != std::string::npos);
    REQUIRE(::truncate(big.c_str(), static_cast<off_t>(kMaxKnownHostsBytes)) == 0);
    CHECK(read_known_hosts(big, "node01", 22)->size() == 1);

    std::string fifo = dir.file("fifo");
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    auto start = std::chrono::steady_clock::now();
    auto f = read_known_hosts(fifo, "node01", 22);
    CHECK_FALSE(f);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
    CHECK(read_known_hosts(dir.file("missing"), "node01", 22)->empty());
}

TEST_CASE("lookups agree with ssh-keygen -F on plain and hashed files") {
    TempDir dir;
    std::string text = fmt::format(
        "node01 ssh-ed25519 {0}\n"
        "[node01]:2222 ssh-ed25519 {0}\n"
        "gpu-a.lab,gpu-b.lab ssh-ed25519 {0}\n"
        "[10.223.0.11]:2200,10.223.0.12 ssh-ed25519 {0}\n"
        "*.lab,!bad.lab ssh-ed25519 {0}\n"
        "gpu?.rack ssh-ed25519 {0}\n"
        "[*.rack]:2222 ssh-ed25519 {0}\n"
        "# comment\n"
        "\n"
        "@revoked node02 ssh-ed25519 {0}\n"
        "@cert-authority *.ca ssh-ed25519 {0}\n"
        "10.223.0.13 ssh-ed25519 {0}\n",
        kEd25519);
    std::string plain = dir.write("plain", text);
    std::string hashed = dir.write("hashed", text);
    REQUIRE(std::system(("ssh-keygen -H -f '" + hashed + "' >/dev/null 2>&1").c_str()) == 0);
    const std::pair<const char*, int> queries[] = {
        {"node01", 22},     {"node01", 2222},     {"node01", 2200},      {"gpu-a.lab", 22},   {"gpu-b.lab", 22},
        {"gpu-c.lab", 22},  {"bad.lab", 22},      {"gpu-a.lab", 2222},   {"10.223.0.11", 2200}, {"10.223.0.11", 22},
        {"10.223.0.12", 22}, {"10.223.0.12", 2200}, {"gpu1.rack", 22},   {"gpu12.rack", 22},  {"gpu1.rack", 2222},
        {"node02", 22},     {"x.ca", 22},         {"10.223.0.13", 22},   {"10.223.0.1", 22},  {"other", 22},
    };
    int checked = 0;
    for (std::string file : {plain, hashed}) {
        std::ifstream in(file);
        std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        for (const auto& [host, port] : queries) {
            CAPTURE(file);
            CAPTURE(host);
            CAPTURE(port);
            CHECK(lines_for(contents, host, port) == ssh_keygen_lines(file, known_hosts_name(host, port)));
            ++checked;
        }
    }
    CHECK(checked == 40);
    // The hashed file really is hashed: no plain host name is left for node01.
    CHECK(run("grep -c '^node01 ' '" + hashed + "'") == "0\n");
}
