// Publishes measurements so that each one is stored exactly once, across
// server restarts, leader changes and dropped connections.
//
// Every measurement handed over stays here until the stream acknowledges it,
// and is re-published with the same Nats-Msg-Id until then: a publish that
// was stored but whose acknowledgment was lost comes back as a duplicate the
// server drops. The buffer is bounded and shared by every sensor of the
// process; when `capacity` measurements wait, wait_for_room() suspends the
// measuring loops, first come first served (no measurement is taken, so none
// is lost and each sensor's `seq` stays gap-free). Within the stream's duplicate window
// a retry can never be stored twice; after an outage longer than that window,
// the publishes that were in flight when the fault hit may be (see README).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../common/logger.hpp"
#include "iot/measurement.hpp"
#include "nats_asio/jetstream.hpp"

namespace sensor {

class measurement_publisher {
 public:
  // Called on the executor for each measurement once it is stored.
  using stored_handler = std::function<void(const iot::measurement&, bool duplicate)>;

  measurement_publisher(nats_asio::jetstream& js, std::size_t capacity, apps::logger& log);

  // Returns once fewer than `capacity` measurements wait (at once if so), or
  // after stop_waiting().
  boost::asio::awaitable<void> wait_for_room();
  void stop_waiting();
  // Hands `m` over for `subject` and returns at once; it is published in the
  // background and `on_stored` is called once it is stored. `on_stored` must
  // stay alive until wait_idle() returns.
  void publish(std::string subject, iot::measurement m, const stored_handler& on_stored);
  // Hands `m` over and returns when it is stored, or false if given up.
  boost::asio::awaitable<bool> publish_and_wait(std::string subject, iot::measurement m,
                                                const stored_handler& on_stored);

  // Waits until every measurement is stored or `grace` has passed; then gives
  // up on the rest, which are logged by message id and counted as
  // unacknowledged. Closing the connection afterwards ends the last attempts;
  // wait_idle() returns when they are over.
  boost::asio::awaitable<void> finish(std::chrono::milliseconds grace);
  boost::asio::awaitable<void> wait_idle();

  std::size_t waiting() const { return waiting_; }
  std::uint64_t acknowledged() const { return acknowledged_; }
  std::uint64_t unacknowledged() const { return given_up_.size(); }
  const std::vector<std::string>& given_up() const { return given_up_; }

 private:
  boost::asio::awaitable<bool> deliver(std::string subject, iot::measurement m,
                                       const stored_handler& on_stored);
  boost::asio::awaitable<void> wait_until(std::function<bool()> done);
  void changed();

  nats_asio::jetstream& js_;
  std::size_t capacity_;
  apps::logger& log_;
  boost::asio::steady_timer changed_;  // never expires; cancel() wakes finish() and wait_idle()
  // Measuring loops waiting for room, oldest first; each waits on its own
  // timer so that one freed slot wakes one loop, not all of them.
  std::deque<std::shared_ptr<boost::asio::steady_timer>> room_waiters_;
  std::chrono::steady_clock::time_point paused_since_{};
  bool paused_ = false;
  std::size_t waiting_ = 0;  // handed over, not yet stored or given up
  std::size_t running_ = 0;  // delivery coroutines still running
  std::uint64_t acknowledged_ = 0;
  bool failing_ = false;  // the last attempt failed: log the recovery
  bool giving_up_ = false;
  bool stop_waiting_ = false;
  std::vector<std::string> given_up_;  // message ids
};

}  // namespace sensor
