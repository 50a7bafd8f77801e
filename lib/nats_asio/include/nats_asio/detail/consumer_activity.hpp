// When a push consumer's server was last heard from (a message or a
// heartbeat). Written on nats.c threads, read on the executor.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace nats_asio::detail {

struct consumer_activity {
  std::atomic<std::int64_t> last_ns{0};
  void touch() {
    last_ns.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                  std::memory_order_relaxed);
  }
};

}  // namespace nats_asio::detail
