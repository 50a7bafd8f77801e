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
// The rules (room, order, retry pauses, counts) are iot::publish_backlog's;
// this class performs the publishes and the waits.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../common/logger.hpp"
#include "iot/measurement.hpp"
#include "iot/publish_backlog.hpp"
#include "nats_asio/detail/async_condition.hpp"
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

  std::size_t waiting() const { return backlog_.waiting(); }
  std::uint64_t acknowledged() const { return backlog_.acknowledged(); }
  std::uint64_t unacknowledged() const { return backlog_.given_up().size(); }
  const std::vector<std::string>& given_up() const { return backlog_.given_up(); }

 private:
  // Each measurement is a `delivery` passed from one completion handler to
  // the next (publish, retry pause, publish, ...) until it settles: stored,
  // or given up. Callbacks, not a coroutine per measurement: a fleet
  // publishes thousands a second, and a coroutine frame and its resumption
  // per publish cost about a tenth of the rate (docs/performance.md).
  struct delivery;
  void start(std::string subject, iot::measurement m, const stored_handler& on_stored,
             std::function<void(bool stored)> settled);
  void attempt(std::unique_ptr<delivery> d);
  void attempted(std::unique_ptr<delivery> d, nats_asio::error_code ec,
                 const nats_asio::pub_ack& ack);
  void settle(std::unique_ptr<delivery> d, bool stored);
  boost::asio::awaitable<void> wait_until(std::function<bool()> done);

  nats_asio::jetstream& js_;
  apps::logger& log_;
  iot::publish_backlog backlog_;  // the rules: room, order, retries, counts
  // Wakes finish() and wait_idle() at each settled measurement.
  nats_asio::detail::async_condition changed_;
  // Measuring loops waiting for room, woken one per freed place, in order.
  nats_asio::detail::async_condition room_;
  std::chrono::steady_clock::time_point paused_since_{};
  std::size_t running_ = 0;  // deliveries not settled yet
};

}  // namespace sensor
