// One simulated sensor: publishes measurements on a re-armable interval,
// applies commands from its work-queue consumer, keeps its config in the KV
// bucket. Runs on one executor; stop() may be called from a signal handler
// running on that executor.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "../common/app_settings.hpp"
#include "../common/logger.hpp"
#include "iot/command.hpp"
#include "iot/sensor_config.hpp"
#include "measurement_history.hpp"
#include "measurement_publisher.hpp"
#include "nats_asio/connection.hpp"
#include "nats_asio/jetstream.hpp"
#include "nats_asio/kv_bucket.hpp"
#include "simulated_probe.hpp"

namespace sensor {

struct sensor_options {
  std::string sensor_id;
  std::optional<std::chrono::milliseconds> interval;  // else the stored config's, else 10 s
  std::size_t history = 10000;
  std::size_t buffer = 10000;  // measurements kept until acknowledged
  // How long shutdown waits for unacknowledged measurements to get through.
  std::chrono::milliseconds shutdown_grace{5000};
  // Fault injection for tests: exit right after applying a command, before
  // acknowledging it (as a crash there would).
  bool exit_before_ack = false;
  std::optional<std::string> dump_file;
  apps::app_settings settings;
};

struct sensor_summary {
  std::uint64_t published = 0;
  std::uint64_t acknowledged = 0;
  std::uint64_t unacknowledged = 0;  // given up at shutdown
  std::uint64_t corrected = 0;
  std::uint64_t applied = 0;
  std::uint64_t rejected = 0;
};

class sensor_runtime {
 public:
  sensor_runtime(boost::asio::any_io_executor ex, sensor_options options, apps::logger& log);

  // Runs until stop(); returns the process exit code.
  boost::asio::awaitable<int> run();
  void stop();
  const sensor_summary& summary() const { return summary_; }

 private:
  boost::asio::awaitable<bool> start();
  boost::asio::awaitable<void> measure_loop();
  boost::asio::awaitable<void> command_loop(nats_asio::js_subscription& commands);
  boost::asio::awaitable<void> handle(nats_asio::js_message msg);
  boost::asio::awaitable<void> apply(const iot::command& cmd, nats_asio::js_message& msg);
  boost::asio::awaitable<void> reject(nats_asio::js_message& msg, const std::string& uuid,
                                      const std::string& reason, bool dead_letter);
  boost::asio::awaitable<bool> store_config();
  void report(const std::string& uuid, bool applied, const std::string& error);
  void write_dump() const;

  boost::asio::any_io_executor executor_;
  sensor_options options_;
  apps::logger& log_;
  nats_asio::connection conn_;
  std::optional<nats_asio::jetstream> js_;
  std::optional<nats_asio::kv_bucket> kv_;
  std::optional<measurement_publisher> publisher_;
  iot::sensor_config config_;
  measurement_history history_;
  simulated_probe probe_;
  boost::asio::steady_timer tick_;
  boost::asio::cancellation_signal stop_receiving_;
  bool stopping_ = false;
  std::uint64_t seq_ = 0;
  sensor_summary summary_;
};

}  // namespace sensor
