// The one way to run work on many nodes: at most `width` at a time, each node
// connected, checked for Ctrl-C before connecting and again before its work,
// timed, and ended as one NodeResult in node-set order. What the work is and
// how a node is connected to are the caller's (lib/ops connects with the
// pinned host key); the deadlines are in them (connect timeout, exec timeout).
#pragma once
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "core/interrupt.hpp"
#include "fanout/fanout.hpp"
#include "fanout/node_result.hpp"

namespace cc {

template <class T>
using OnNodeDone = std::function<void(const NodeResult<T>&)>;

// connect(node) -> Result<C>; work(C&, node, T& value) -> Result<NodeStatus>:
// ok, failed (it ran and failed: value says how) or skipped; an error ends the
// node with the status its kind maps to. on_done runs on the worker thread as
// each node ends. Nodes need a `name`.
template <class T, class N, class Connect, class Work>
std::vector<NodeResult<T>> run_per_node(const std::vector<N>& nodes, int width, Connect&& connect, Work&& work,
                                        const OnNodeDone<T>& on_done = {}) {
    using Clock = std::chrono::steady_clock;
    std::vector<NodeResult<T>> results(nodes.size());
    for_each_parallel(nodes.size(), width, [&](std::size_t i) {
        const N& node = nodes[i];
        NodeResult<T>& result = results[i];
        result.node = node.name;
        auto start = Clock::now();
        auto ran = [&]() -> Result<NodeStatus> {
            if (interrupt_requested()) return fail(ErrorKind::interrupted, "interrupted before start");
            auto connection = connect(node);
            if (!connection) return std::unexpected(connection.error());
            if (interrupt_requested()) return fail(ErrorKind::interrupted, "interrupted");
            return work(*connection, node, result.value);
        }();
        if (ran) result.status = *ran;
        else record_failure(result, ran.error());
        result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
        if (on_done) on_done(result);
    });
    return results;
}

}  // namespace cc
