// Counts the measurements a fleet publishes, and which sensors they came
// from, with one core subscription to "<measurements subject>.>" (the sensor
// id is the subject's last token).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "nats_asio/connection.hpp"

namespace bench {

class measurement_counter {
 public:
  // Subscribes on `conn` (which must outlive the counter) and starts counting
  // in the background on the connection's executor.
  measurement_counter(nats_asio::connection& conn, const std::string& measurements_subject);
  ~measurement_counter();
  measurement_counter(const measurement_counter&) = delete;
  measurement_counter& operator=(const measurement_counter&) = delete;

  // Distinct sensors seen since the start.
  std::size_t sensors_seen() const { return state_->seen.size(); }
  bool has_seen(const std::string& sensor) const { return state_->seen.contains(sensor); }
  const std::unordered_set<std::string>& seen() const { return state_->seen; }

  // A measuring window: messages and distinct sensors since start_window().
  void start_window();
  std::uint64_t window_messages() const { return state_->window_messages; }
  std::size_t window_sensors() const { return state_->window_seen.size(); }
  // The fleet's rate in the window as the sum of each sensor's own rate
  // (its measurements after the first, over the time from its first to its
  // last): unlike messages / window length, it does not depend on where the
  // window cuts each sensor's interval, which matters for a few sensors.
  double window_rate() const;

  std::uint64_t dropped() const;

  // Polls every 10 ms until `done()` or `deadline`; false on the deadline.
  boost::asio::awaitable<bool> wait_until(std::function<bool()> done,
                                          std::chrono::steady_clock::time_point deadline);

  // Unsubscribes; the background loop ends.
  void stop();

 private:
  struct arrivals {
    std::uint64_t count = 0;
    std::chrono::steady_clock::time_point first, last;
  };
  struct state {
    state(nats_asio::subscription s, std::size_t prefix) : sub(std::move(s)), prefix_size(prefix) {}
    nats_asio::subscription sub;
    std::size_t prefix_size;  // of "<measurements subject>.", before the sensor id
    std::unordered_set<std::string> seen;
    std::unordered_map<std::string, arrivals> window_seen;
    std::uint64_t messages = 0, window_messages = 0;
    bool stopped = false;
  };
  static boost::asio::awaitable<void> count(std::shared_ptr<state> s);

  std::shared_ptr<state> state_;
};

}  // namespace bench
