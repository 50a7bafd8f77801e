// What a push consumer has heard from its server: when last (a message or a
// heartbeat), and how many of its control requests were answered. Written on
// nats.c threads, read on the executor.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace nats_asio::detail {

struct consumer_activity {
  std::atomic<std::int64_t> last_ns{0};
  std::atomic<std::uint64_t> flow_control_answered{0};  // flow control requests
  std::atomic<std::uint64_t> stalls_answered{0};        // heartbeats saying Nats-Consumer-Stalled
  void touch() {
    last_ns.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                  std::memory_order_relaxed);
  }
  std::chrono::steady_clock::time_point last() const {
    return std::chrono::steady_clock::time_point(
        std::chrono::steady_clock::duration(last_ns.load(std::memory_order_relaxed)));
  }
  // What remains of `silence` since the last activity; 0 once it is over.
  std::chrono::milliseconds silence_left(std::chrono::milliseconds silence) const {
    const auto quiet = std::chrono::steady_clock::now() - last();
    const auto left = silence - std::chrono::duration_cast<std::chrono::milliseconds>(quiet);
    return std::max(left, std::chrono::milliseconds(0));
  }
};

}  // namespace nats_asio::detail
