#include <doctest/doctest.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <limits>
#include <thread>
#include <vector>

#include "fanout/fanout.hpp"

using namespace cc;

namespace {

// Restores the process's open-file limits when a test case ends.
struct SavedOpenFileLimit {
    rlimit saved{};
    SavedOpenFileLimit() { REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0); }
    ~SavedOpenFileLimit() { ::setrlimit(RLIMIT_NOFILE, &saved); }
};

}  // namespace

TEST_CASE("every index is worked on exactly once, however wide the fan-out") {
    for (int width : {1, 3, 64}) {
        CAPTURE(width);
        std::vector<std::atomic<int>> calls(50);
        for_each_parallel(calls.size(), width, [&](std::size_t i) { ++calls[i]; });
        for (const auto& c : calls) CHECK(c.load() == 1);
    }
}

TEST_CASE("no more work runs at once than the fan-out width") {
    std::atomic<int> running{0}, most{0};
    for_each_parallel(40, 4, [&](std::size_t) {
        int now = ++running;
        for (int seen = most.load(); now > seen && !most.compare_exchange_weak(seen, now);) {}
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        --running;
    });
    CHECK(most.load() <= 4);
    CHECK(most.load() >= 2);  // it did run in parallel
}

TEST_CASE("the fan-out is kept when the open-file limit allows it") {
    CHECK(fanout_width_for_open_files(64, 1024) == 64);
    CHECK(fanout_width_for_open_files(64, reserved_descriptors + 64 * descriptors_per_node) == 64);
    CHECK(fanout_width_for_open_files(4096, std::numeric_limits<std::uint64_t>::max()) == 4096);
}

TEST_CASE("the fan-out is narrowed to the nodes the open-file limit has descriptors for") {
    // 512 - 32 reserved = 480 descriptors, 3 per node.
    CHECK(fanout_width_for_open_files(1200, 512) == 160);
    CHECK(fanout_width_for_open_files(4096, 64) == 10);
    CHECK(fanout_width_for_open_files(64, reserved_descriptors + 64 * descriptors_per_node - 1) == 63);
}

TEST_CASE("the fan-out never drops below one node at a time") {
    CHECK(fanout_width_for_open_files(4096, 16) == 1);
    CHECK(fanout_width_for_open_files(4096, 0) == 1);
    CHECK(fanout_width_for_open_files(0, 1024) == 1);
}

TEST_CASE("the soft open-file limit is raised towards the hard limit before narrowing") {
    SavedOpenFileLimit restore;
    if (restore.saved.rlim_max != RLIM_INFINITY && restore.saved.rlim_max < 200) {
        MESSAGE("hard open-file limit below 200; nothing to raise");
        return;
    }
    rlimit low = restore.saved;
    low.rlim_cur = 64;
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
    auto fit = fit_fanout_to_open_files(50);  // needs 32 + 50 * 3 = 182
    CHECK(fit.width == 50);
    CHECK(fit.open_files == 182);
    rlimit now{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &now) == 0);
    CHECK(now.rlim_cur == 182);
    CHECK(now.rlim_max == restore.saved.rlim_max);  // only the soft limit moves
}

TEST_CASE("the fan-out is narrowed when the hard open-file limit is too low") {
    SavedOpenFileLimit restore;
    // Lowering the hard limit cannot be undone without privilege: do it in a child.
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        rlimit tight{64, 64};
        if (::setrlimit(RLIMIT_NOFILE, &tight) != 0) ::_exit(2);
        auto fit = fit_fanout_to_open_files(4096);
        ::_exit(fit.width == 10 && fit.open_files == 64 ? 0 : 1);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}
