// A fleet's commands, through the one consumer its members share
// ("fleet-<fleet>", filter "<commands subject>.<fleet>.*"; iot/wire.hpp).
// One consumer per sensor does not scale: nats-server creates a few hundred
// per second, and 100 000 cost gigabytes and a core of idle heartbeats
// (docs/performance.md).
//
// Each message goes to the member its subject names. A member applies its
// commands one at a time, in the order they came (sensor_runtime::
// apply_in_order); the others go on meanwhile. A message that names no
// member is kept as a dead letter. Runs on the fleet's executor.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "../common/logger.hpp"
#include "nats_asio/detail/async_condition.hpp"
#include "nats_asio/js_subscription.hpp"
#include "sensor.hpp"

namespace sensor {

class fleet_commands {
 public:
  // `members` are the fleet's sensors, "<fleet>.1" ... "<fleet>.N" in order
  // (at least one).
  fleet_commands(sensor_context& context, std::string fleet,
                 const std::vector<std::unique_ptr<sensor_runtime>>& members,
                 const apps::logger& log);

  // Subscribes to the consumer (creating it if this identity may), retried
  // while the servers are not ready; false, with the reason logged, if that
  // fails, and false without a word once `stopping`.
  boost::asio::awaitable<bool> subscribe(apps::start_retry& retry, const bool& stopping);
  // Routes commands until stop(), then waits for the members' commands in
  // hand; those still waiting in line are left to redelivery.
  boost::asio::awaitable<void> run();
  void stop();
  // Before stop(): take no more messages.
  void unsubscribe() { subscription_.unsubscribe(); }

 private:
  // The member that `subject` names, or nullptr.
  sensor_runtime* member_of(const std::string& subject) const;
  void route(nats_asio::js_message msg);
  // Applies `member`'s waiting commands in order until none is left.
  boost::asio::awaitable<void> work(sensor_runtime& member);
  boost::asio::awaitable<void> dead_letter(nats_asio::js_message msg);
  void spawn(boost::asio::awaitable<void> task);

  sensor_context& ctx_;
  std::string fleet_;
  std::string subject_prefix_;  // "<commands subject>.<fleet>."
  std::string consumer_;        // "fleet-<fleet>"
  const std::vector<std::unique_ptr<sensor_runtime>>& members_;
  const apps::logger& log_;
  nats_asio::js_subscription subscription_;
  // The commands waiting for a member that is applying one: only members
  // with work have an entry.
  std::unordered_map<sensor_runtime*, std::deque<nats_asio::js_message>> waiting_;
  std::size_t tasks_ = 0;  // work() and dead_letter() coroutines running
  nats_asio::detail::async_condition tasks_done_;
  boost::asio::cancellation_signal stop_receiving_;
  bool stopping_ = false;
};

}  // namespace sensor
