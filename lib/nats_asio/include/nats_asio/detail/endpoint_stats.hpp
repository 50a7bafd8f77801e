// The statistics of a service endpoint, shared by the endpoint and the
// requests it received: a request records itself when answered, on whatever
// thread answers it, while STATS reads them on the connection's executor.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace nats_asio::detail {

struct endpoint_stats_snapshot {
  std::uint64_t num_requests = 0;
  std::uint64_t num_errors = 0;
  std::string last_error;
  std::chrono::nanoseconds processing_time{0};  // in total

  std::chrono::nanoseconds average_processing_time() const {
    return num_requests == 0 ? std::chrono::nanoseconds(0)
                             : processing_time / static_cast<std::int64_t>(num_requests);
  }
};

class endpoint_stats {
 public:
  // One request processed in `took`; `error` set if it failed.
  void record(std::chrono::nanoseconds took, std::optional<std::string> error) {
    std::lock_guard lock(mutex_);
    ++stats_.num_requests;
    stats_.processing_time += took;
    if (error) {
      ++stats_.num_errors;
      stats_.last_error = std::move(*error);
    }
  }

  // A failure found after the request was recorded (its reply could not be sent).
  void record_error(std::string error) {
    std::lock_guard lock(mutex_);
    ++stats_.num_errors;
    stats_.last_error = std::move(error);
  }

  endpoint_stats_snapshot snapshot() const {
    std::lock_guard lock(mutex_);
    return stats_;
  }

 private:
  mutable std::mutex mutex_;
  endpoint_stats_snapshot stats_;
};

}  // namespace nats_asio::detail
