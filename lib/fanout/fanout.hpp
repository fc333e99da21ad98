// Runs one piece of work per node on a bounded pool of threads. Each libssh2
// session lives on one worker thread for its whole life.
#pragma once
#include <cstddef>
#include <functional>

namespace cc {

// Calls work(i) for every i in [0, count) on at most `width` threads and
// returns when all calls have returned. work must not throw.
void for_each_parallel(std::size_t count, int width, const std::function<void(std::size_t)>& work);

}  // namespace cc
