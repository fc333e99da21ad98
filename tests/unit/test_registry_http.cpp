#include <doctest/doctest.h>

#include "registry/http.hpp"

using namespace cc;

TEST_CASE("an upload Location is resolved against the request, relative or absolute") {
    std::string base = "https://reg.lab:5000/v2/team/cuda/blobs/uploads/";
    CHECK(resolve_url(base, "/v2/team/cuda/blobs/uploads/abc?_state=x%3D") ==
          "https://reg.lab:5000/v2/team/cuda/blobs/uploads/abc?_state=x%3D");
    CHECK(resolve_url(base, "https://s3.lab/bucket/obj?sig=1") == "https://s3.lab/bucket/obj?sig=1");
    CHECK(resolve_url(base, "def") == "https://reg.lab:5000/v2/team/cuda/blobs/uploads/def");
}

TEST_CASE("origins differ by scheme, host or port, which is what keeps credentials home") {
    CHECK(url_origin("https://reg.lab:5000/v2/x") == url_origin("https://REG.lab:5000/other"));
    CHECK(url_origin("https://reg.lab/v2/") == "https://reg.lab:443");
    CHECK(url_origin("https://reg.lab:5000/") != url_origin("https://reg.lab:5001/"));
    CHECK(url_origin("https://reg.lab:5000/") != url_origin("http://reg.lab:5000/"));
    CHECK(url_origin("https://reg.lab.evil/") != url_origin("https://reg.lab/"));
    CHECK(url_origin("not a url").empty());
}

TEST_CASE("query values are percent-encoded, a robot account's dollar sign included") {
    CHECK(url_escape("repository:team/cuda:pull,push") == "repository%3Ateam%2Fcuda%3Apull%2Cpush");
    CHECK(url_escape("robot$ci") == "robot%24ci");
    CHECK(url_escape("a-b_c.d~") == "a-b_c.d~");
}
