// The sensors of one iot-sensor process: one sensor, or a fleet of N
// (`--count`), over one connection.
//
// The fleet owns what its sensors share: the connection, the provisioning of
// streams and bucket (done once), and one measurement publisher whose buffer
// is a single budget for the whole process, and a fleet's command consumer.
// Each sensor keeps its own interval, commands, config key and history. Runs on one executor;
// stop() may be called from a signal handler running on that executor.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../common/app_settings.hpp"
#include "../common/logger.hpp"
#include "../common/nats_health.hpp"
#include "fleet_commands.hpp"
#include "http/server.hpp"
#include "measurement_publisher.hpp"
#include "nats_asio/connection.hpp"
#include "nats_asio/detail/async_condition.hpp"
#include "nats_asio/jetstream.hpp"
#include "nats_asio/kv_bucket.hpp"
#include "sensor.hpp"

namespace sensor {

struct fleet_options {
  std::string sensor_id;  // the sensor, or the fleet's base name
  // 0: one sensor named `sensor_id`. N: sensors <sensor_id>.1 ... .N, which
  // share one command consumer (fleet_commands.hpp).
  std::size_t count = 0;
  // Spread the sensors' first measurements evenly over their interval (else
  // all measure in the same millisecond, a burst that costs memory).
  bool jitter = true;
  std::optional<std::chrono::milliseconds> interval;
  std::size_t history = 10000;  // per sensor
  std::size_t buffer = 10000;   // for the whole process
  // How long shutdown waits for unacknowledged measurements to get through.
  std::chrono::milliseconds shutdown_grace{5000};
  // Sensors starting at once (each start is a few JetStream API requests).
  std::size_t start_concurrency = 64;
  bool exit_before_ack = false;  // see sensor_options
  bool replace_config = false;   // see sensor_options
  std::optional<std::string> dump_file;
  // Serve Prometheus metrics on GET /metrics there.
  std::optional<boost::asio::ip::tcp::endpoint> metrics_listen;
  apps::log_level log_level = apps::log_level::info;
  apps::app_settings settings;
};

// The ids of the sensors `options` describes, in order.
std::vector<std::string> member_ids(const std::string& sensor_id, std::size_t count);

class fleet_runtime {
 public:
  fleet_runtime(boost::asio::any_io_executor ex, fleet_options options, apps::logger& log);

  // Runs until stop(); returns the process exit code.
  boost::asio::awaitable<int> run();
  void stop();

 private:
  // The metrics server, when asked for; "" or why it cannot listen.
  std::string start_metrics();
  boost::asio::awaitable<bool> connect_and_provision();
  boost::asio::awaitable<void> start_sensors();
  // Runs `step` for each sensor, start_concurrency at a time, and `then` for
  // each whose step succeeded; stops at the first failure (start_failed_).
  boost::asio::awaitable<void> for_each_sensor(
      std::function<boost::asio::awaitable<bool>(sensor_runtime&)> step,
      std::function<void(sensor_runtime&)> then);
  void launch(sensor_runtime& s, boost::asio::awaitable<void> loop);
  void halt();  // stop() without a word
  boost::asio::awaitable<void> wait_until(std::function<bool()> done);
  void changed() { changed_.notify_all(); }
  void print_summary();
  void write_dump() const;

  boost::asio::any_io_executor executor_;
  fleet_options options_;
  apps::logger& log_;
  nats_asio::connection conn_;
  apps::nats_health nats_health_;
  std::optional<http::server> metrics_;
  std::optional<nats_asio::jetstream> js_;
  std::optional<nats_asio::kv_bucket> kv_;
  std::optional<measurement_publisher> publisher_;
  std::optional<sensor_context> context_;
  // Declared after the publisher and context they refer to, so destroyed first.
  std::vector<std::unique_ptr<sensor_runtime>> sensors_;
  std::optional<fleet_commands> commands_;      // a fleet's (one sensor has its own)
  nats_asio::detail::async_condition changed_;  // wakes wait_until()
  boost::asio::steady_timer provision_pause_;   // between provisioning attempts; halt() ends it
  std::size_t running_ = 0;  // sensor loops still running, and a fleet's command routing
  bool start_failed_ = false;
  bool stopping_ = false;
};

}  // namespace sensor
