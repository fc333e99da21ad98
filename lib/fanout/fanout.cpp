#include "fanout/fanout.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <pthread.h>
#include <sys/resource.h>
#include <thread>
#include <vector>

namespace cc {

void for_each_parallel(std::size_t count, int width, const std::function<void(std::size_t)>& work) {
    if (count == 0) return;
    std::size_t threads = std::min<std::size_t>(count, static_cast<std::size_t>(std::max(1, width)));
    if (threads == 1) {
        for (std::size_t i = 0; i < count; ++i) work(i);
        return;
    }
    std::atomic<std::size_t> next{0};
    auto worker = [&] {
        // Signals go to the main thread only: a Ctrl-C landing in a worker
        // would turn its libssh2 recv() into EINTR, reported as a dead link.
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, nullptr);
        for (std::size_t i; (i = next.fetch_add(1)) < count;) work(i);
    };
    std::vector<std::jthread> pool;
    pool.reserve(threads);
    for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(worker);
}

int fanout_width_for_open_files(int requested, std::uint64_t open_files) {
    std::uint64_t wanted = static_cast<std::uint64_t>(std::max(1, requested));
    std::uint64_t spare = open_files > reserved_descriptors ? open_files - reserved_descriptors : 0;
    return static_cast<int>(std::clamp<std::uint64_t>(spare / descriptors_per_node, 1, wanted));
}

FanoutFit fit_fanout_to_open_files(int requested) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return {std::max(1, requested), 0};
    const rlim_t needed = reserved_descriptors + descriptors_per_node * static_cast<rlim_t>(std::max(1, requested));
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max == RLIM_INFINITY ? needed : std::min(needed, limit.rlim_max);
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
    }
    // RLIM_INFINITY is the largest rlim_t, so it needs no case of its own.
    return {fanout_width_for_open_files(requested, limit.rlim_cur), limit.rlim_cur};
}

}  // namespace cc
