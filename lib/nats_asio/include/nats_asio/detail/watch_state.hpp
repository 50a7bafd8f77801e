// The state of a kv_watcher: an ordered push consumer rebuilt whenever it
// falls silent or skips a sequence, resuming after the last delivered revision.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "nats_asio/detail/connection_core.hpp"
#include "nats_asio/detail/consumer_activity.hpp"
#include "nats_asio/detail/subscription_state.hpp"
#include "nats_asio/kv_entry.hpp"
#include "nats_asio/kv_watcher.hpp"

namespace nats_asio::detail {

struct watch_state {
  std::shared_ptr<connection_core> core;
  std::string bucket;
  std::string stream;
  std::string filter;  // "$KV.<bucket>.<pattern>"
  watch_options options;
  std::chrono::milliseconds api_timeout{5000};

  std::shared_ptr<subscription_state<message>> sub;  // current consumer's deliveries
  // Heard from any of its consumers; heartbeats show here, not in `sub`.
  std::shared_ptr<consumer_activity> activity = std::make_shared<consumer_activity>();
  std::string consumer_name;
  std::uint64_t expected_consumer_seq = 1;
  std::uint64_t next_stream_seq = 0;  // resume point; 0 before the first delivery
  bool initial_done = false;
  std::deque<kv_entry> held;  // ready entries: a cancelled receiver's, the initial_done marker
  completion_ptr<kv_entry> waiter;  // the receiver of the step in progress
  bool busy = false;                // a step (next_entry) is running
  bool stopped = false;
  std::atomic<std::uint64_t> restarts{0};

  void stop();
};

}  // namespace nats_asio::detail
