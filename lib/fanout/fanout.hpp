// Runs one piece of work per node on a bounded pool of threads. Each libssh2
// session lives on one worker thread for its whole life.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>

namespace cc {

// Calls work(i) for every i in [0, count) on at most `width` threads and
// returns when all calls have returned. work must not throw.
void for_each_parallel(std::size_t count, int width, const std::function<void(std::size_t)>& work);

// Descriptors one node's work may hold at once: its SSH socket, and for cp a
// local file and the directory it is opened under.
inline constexpr std::uint64_t descriptors_per_node = 3;
// Left for what the process itself opens besides node work: stdio, the
// inventory and its journal, the config, known_hosts, identity files.
inline constexpr std::uint64_t reserved_descriptors = 32;

// The widest fan-out `open_files` descriptors allow: `requested`, or fewer
// when the descriptors run out, and never less than 1.
int fanout_width_for_open_files(int requested, std::uint64_t open_files);

struct FanoutFit {
    int width;                 // what the work may use
    std::uint64_t open_files;  // the soft RLIMIT_NOFILE after raising it
};

// Raises the soft open-file limit (RLIMIT_NOFILE) towards the hard limit, as
// far as `requested` needs, then returns the width the limit allows. With
// `ulimit -n 512`, 1200 nodes at --fanout 1200 failed 694 of them on EMFILE.
FanoutFit fit_fanout_to_open_files(int requested);

}  // namespace cc
