#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>

#include "core/base64.hpp"
#include "registry/credentials.hpp"
#include "registry/docker_config.hpp"
#include "registry/www_authenticate.hpp"
#include "temp_dir.hpp"

using namespace cc;
namespace fs = std::filesystem;

TEST_CASE("a bearer challenge gives realm, service and a scope with commas inside quotes") {
    auto challenges = parse_www_authenticate(
        R"(Bearer realm="https://auth.lab/token",service="reg.lab",scope="repository:team/cuda:pull,push")");
    REQUIRE(challenges.size() == 1);
    CHECK(challenges[0].scheme == "bearer");
    CHECK(challenges[0].params.at("realm") == "https://auth.lab/token");
    CHECK(challenges[0].params.at("service") == "reg.lab");
    CHECK(challenges[0].params.at("scope") == "repository:team/cuda:pull,push");
}

TEST_CASE("several challenges in one header, unquoted values and escaped quotes are read") {
    auto challenges = parse_www_authenticate(
        R"(Basic realm="Registry \"lab\", north", Bearer Realm=https://a/t , error="invalid_token")");
    REQUIRE(challenges.size() == 2);
    CHECK(challenges[0].scheme == "basic");
    CHECK(challenges[0].params.at("realm") == "Registry \"lab\", north");
    CHECK(challenges[1].scheme == "bearer");
    CHECK(challenges[1].params.at("realm") == "https://a/t");
    CHECK(challenges[1].params.at("error") == "invalid_token");
    CHECK(parse_www_authenticate("").empty());
    CHECK(parse_www_authenticate("Basic").at(0).params.empty());
}

TEST_CASE("docker config keys in any spelling match the registry host") {
    CHECK(normalize_registry_key("https://index.docker.io/v1/") == "docker.io");
    CHECK(normalize_registry_key("http://reg.lab:5000/") == "reg.lab:5000");
    CHECK(normalize_registry_key("reg.lab:5000") == "reg.lab:5000");
}

TEST_CASE("docker config auths decode a robot account name with a dollar sign") {
    std::string auth = base64_encode("robot$ci+bot:s3cr:et");
    std::string text = R"({"auths":{"https://harbor.lab":{"auth":")" + auth + R"("},"other.lab":{}}})";
    auto entry = docker_config_lookup(text, "harbor.lab");
    REQUIRE(entry);
    REQUIRE(*entry);
    REQUIRE((*entry)->credentials);
    CHECK((*entry)->credentials->username == "robot$ci+bot");
    CHECK((*entry)->credentials->password == "s3cr:et");
    CHECK_FALSE(*docker_config_lookup(text, "other.lab"));  // an empty entry names no credentials
    CHECK_FALSE(*docker_config_lookup(text, "nowhere.lab"));
    CHECK_FALSE(docker_config_lookup(R"({"auths":{"x.lab":{"auth":"bm9jb2xvbg=="}}})", "x.lab"));  // "nocolon"
}

TEST_CASE("credHelpers win for their registry and credsStore covers the rest") {
    std::string text = R"({"auths":{"a.lab":{"auth":")" + base64_encode("u:p") +
                       R"("}},"credHelpers":{"gcr.io":"gcloud"},"credsStore":"pass"})";
    CHECK((*docker_config_lookup(text, "gcr.io"))->helper == "gcloud");
    CHECK((*docker_config_lookup(text, "b.lab"))->helper == "pass");
    auto inline_auth = *docker_config_lookup(text, "a.lab");
    CHECK(inline_auth->helper.empty());
    CHECK(inline_auth->credentials->username == "u");
}

TEST_CASE("a credential helper's answer gives a password or an identity token") {
    auto password = parse_helper_answer(R"({"ServerURL":"r","Username":"robot$x","Secret":"pw"})");
    REQUIRE(password);
    CHECK(password->username == "robot$x");
    CHECK(password->password == "pw");
    auto token = parse_helper_answer(R"({"Username":"<token>","Secret":"refresh"})");
    CHECK(token->identity_token == "refresh");
    CHECK(token->password.empty());
    CHECK_FALSE(parse_helper_answer("not json"));
}

TEST_CASE("a credential helper is run without a shell and its answer read") {
    TempDir tmp;
    std::string helper = tmp.write("docker-credential-unittest",
                                   "#!/bin/sh\nread server\nif [ \"$server\" = reg.lab ]; then\n"
                                   "  echo '{\"Username\":\"u\",\"Secret\":\"from-helper\"}'\nelse\n"
                                   "  echo 'credentials not found in native keychain'; exit 1\nfi\n");
    fs::permissions(helper, fs::perms::owner_all);
    std::string old_path = std::getenv("PATH");
    ::setenv("PATH", (tmp.path.string() + ":" + old_path).c_str(), 1);
    auto found = run_credential_helper("unittest", "reg.lab");
    auto missing = run_credential_helper("unittest", "other.lab");
    auto bad_name = run_credential_helper("x;rm -rf /", "reg.lab");
    ::setenv("PATH", old_path.c_str(), 1);
    REQUIRE(found);
    REQUIRE(*found);
    CHECK((*found)->password == "from-helper");
    REQUIRE(missing);
    CHECK_FALSE(*missing);
    CHECK_FALSE(bad_name);
}

TEST_CASE("logins are saved 0600, found before docker's, listed without secrets and removed") {
    TempDir tmp;
    fs::path docker = tmp.write("config.json", R"({"auths":{"reg.lab":{"auth":")" + base64_encode("docker-user:dp") + R"("}}})");
    CredentialStore store(tmp.path / "cfg" / "auth.json", docker);
    CHECK((*store.lookup("reg.lab"))->username == "docker-user");
    REQUIRE(store.save("reg.lab", Credentials{"robot$own", "op", ""}));
    struct stat st {};
    REQUIRE(::stat((tmp.path / "cfg" / "auth.json").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    auto own = store.lookup("reg.lab");
    REQUIRE(own);
    CHECK((*own)->username == "robot$own");
    CHECK((*own)->password == "op");
    auto logins = store.list();
    REQUIRE(logins);
    REQUIRE(logins->size() == 2);
    CHECK((*logins)[0].source == "clusterctl");
    CHECK((*logins)[0].username == "robot$own");
    CHECK((*logins)[1].source == "docker config");
    CHECK(*store.remove("reg.lab"));
    CHECK_FALSE(*store.remove("reg.lab"));
    CHECK((*store.lookup("reg.lab"))->username == "docker-user");
    CHECK_FALSE(*store.lookup("nowhere.lab"));
}

TEST_CASE("an auth file others can read is refused, naming it") {
    TempDir tmp;
    CredentialStore store(tmp.path / "auth.json", tmp.path / "absent.json");
    REQUIRE(store.save("reg.lab", Credentials{"u", "p", ""}));
    fs::permissions(tmp.path / "auth.json", fs::perms::group_read, fs::perm_options::add);
    auto refused = store.lookup("reg.lab");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message.find("auth.json\" is readable by others") != std::string::npos);
}
