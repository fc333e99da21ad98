#include "fanout/fanout.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <pthread.h>
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

}  // namespace cc
