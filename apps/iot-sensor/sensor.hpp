// One simulated sensor: publishes measurements on a re-armable interval,
// applies commands from its work-queue consumer, keeps its config in the KV
// bucket. Runs on the connection's executor and shares the connection and
// the publisher with the other sensors of the process (fleet.hpp). What a
// command does is decided by iot::command_fsm; this class does the I/O.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "../common/app_settings.hpp"
#include "../common/logger.hpp"
#include "../common/start_retry.hpp"
#include "iot/command_fsm.hpp"
#include "iot/sensor_id.hpp"
#include "measurement_publisher.hpp"
#include "nats_asio/connection.hpp"
#include "nats_asio/jetstream.hpp"
#include "nats_asio/kv_bucket.hpp"
#include "simulated_probe.hpp"

namespace sensor {

// What the sensors of one process share (see fleet.hpp).
struct sensor_context {
  nats_asio::connection& conn;
  nats_asio::jetstream& js;
  nats_asio::kv_bucket& kv;
  measurement_publisher& publisher;
  const apps::app_settings& settings;
};

struct sensor_options {
  std::string sensor_id;
  std::optional<std::chrono::milliseconds> interval;  // else the stored config's, else 10 s
  std::size_t history = 10000;
  // The first measurement comes this fraction of the interval (0 <= f < 1)
  // after phase_origin (at once if that has passed), so that a fleet's
  // sensors do not all measure in the same millisecond, however long the
  // fleet takes to start them all.
  double phase = 0;
  std::chrono::steady_clock::time_point phase_origin{};
  // Log every measurement at info (one sensor) rather than debug (a fleet).
  bool log_each_measurement = true;
  // Fault injection for tests: exit right after applying a command, before
  // acknowledging it (as a crash there would).
  bool exit_before_ack = false;
  // Overwrite a stored config that does not decode (else start() fails).
  bool replace_config = false;
  std::uint32_t seed = 0;  // of the simulated probe
  apps::log_level log_level = apps::log_level::info;
};

struct sensor_summary {
  std::uint64_t published = 0;
  std::uint64_t acknowledged = 0;
  std::uint64_t unacknowledged = 0;  // given up at shutdown
  std::uint64_t corrected = 0;
  std::uint64_t applied = 0;
  std::uint64_t rejected = 0;

  sensor_summary& operator+=(const sensor_summary& o);
};

// Subscribes to the command consumer of `sensor_id` (a fleet member's: its
// fleet's), retried with `retry` while the servers are not ready; nullopt,
// with the reason logged, if that fails, and without a word once `stopping`.
boost::asio::awaitable<std::optional<nats_asio::js_subscription>> subscribe_to_commands(
    sensor_context& ctx, const std::string& sensor_id, std::size_t capacity,
    apps::start_retry& retry, const apps::logger& log, const bool& stopping);

class sensor_runtime {
 public:
  sensor_runtime(sensor_context& context, sensor_options options);

  // Loads (or creates) the stored config and subscribes to the command
  // consumer, each step retried while the servers are not ready (up to
  // settings.start_timeout); false, with the reason logged, if that fails,
  // and false without a word if stop() came first. Everything that can fail
  // is checked before the config is written, so that a sensor that cannot
  // run leaves the bucket as it found it.
  boost::asio::awaitable<bool> start();
  // start()'s steps, each with the same contract, for a fleet that measures
  // before its command consumers exist (commands wait in the work queue
  // meanwhile): read_config() and store_config(), then measure_loop();
  // subscribe_commands(), then command_loop().
  boost::asio::awaitable<bool> read_config();
  boost::asio::awaitable<bool> store_config();
  boost::asio::awaitable<bool> subscribe_commands();
  // Run side by side after start(), both until stop(). (Two coroutines
  // spawned apart cost less memory than one awaiting both: a fleet has many.)
  boost::asio::awaitable<void> measure_loop();
  boost::asio::awaitable<void> command_loop();
  // A fleet member's way to take a command from its fleet's consumer
  // (fleet_commands.hpp), instead of subscribe_commands() and
  // command_loop(): the consumer keeps delivering other members' commands
  // meanwhile, so a command that must be tried again is retried here, in
  // order, rather than handed back for redelivery.
  boost::asio::awaitable<void> apply_in_order(nats_asio::js_message msg);
  void stop();
  // Before stop(): a stopped sensor's consumer must not take more commands.
  void unsubscribe() {
    if (commands_) commands_->unsubscribe();
  }

  const std::string& id() const { return options_.sensor_id; }
  sensor_summary& summary() { return summary_; }
  void write_history(std::ostream& out) const;

 private:
  // Runs the command's state machine (iot/command_fsm.hpp), performing its actions.
  boost::asio::awaitable<iot::command_outcome> handle(nats_asio::js_message& msg);
  bool in_fleet() const { return !iot::fleet_of(options_.sensor_id).empty(); }
  // Performs one action; returns whether it succeeded.
  boost::asio::awaitable<bool> perform(const iot::command_action& action,
                                       const iot::command_fsm& fsm, nats_asio::js_message& msg);
  // A command's config change: retried a few times.
  boost::asio::awaitable<bool> store_config(const iot::sensor_config& config);
  void announce(const iot::command_result& result);
  // Where per-measurement and start lines go: info for one sensor, debug in a fleet.
  apps::log_level detail_level() const {
    return options_.log_each_measurement ? apps::log_level::info : apps::log_level::debug;
  }

  sensor_context& ctx_;
  sensor_options options_;
  apps::logger log_;
  std::string measurements_subject_;
  measurement_publisher::stored_handler on_stored_;
  // A sensor of its own only: a fleet member takes its commands from the
  // fleet (a subscription is ~450 bytes, 45 MB across 100 000 members).
  std::unique_ptr<nats_asio::js_subscription> commands_;
  iot::sensor_state state_;  // the stored config and the history
  simulated_probe probe_;
  boost::asio::steady_timer tick_;
  boost::asio::cancellation_signal stop_receiving_;
  // apply_in_order's pause before a retry, while it lasts, so that stop()
  // ends it (a pointer: a timer per fleet member would cost more).
  boost::asio::steady_timer* retry_pause_ = nullptr;
  bool stopping_ = false;
  std::uint64_t seq_ = 0;
  sensor_summary summary_;
};

}  // namespace sensor
