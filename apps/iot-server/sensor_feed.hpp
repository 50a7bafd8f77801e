// Keeps a sensor_registry current: a watch of the config bucket, and an
// ephemeral consumer on the measurements stream that starts with the last
// measurement of every sensor and then follows the stream. A consumer
// silent for three heartbeats (a server restart, a lost consumer) is made
// again, which hands back every sensor's last measurement: the registry
// keeps the newest, so nothing is counted twice or lost.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <string>

#include "../common/logger.hpp"
#include "iot/wire.hpp"
#include "nats_asio/jetstream.hpp"
#include "nats_asio/js_subscription.hpp"
#include "nats_asio/kv_watcher.hpp"
#include "sensor_registry.hpp"

namespace server {

class sensor_feed {
 public:
  sensor_feed(nats_asio::jetstream& js, iot::wire_names names, sensor_registry& registry,
              const apps::logger& log);

  // Until stop(). Returns "" then, or a reason when NATS refuses for good
  // (a permission missing).
  boost::asio::awaitable<std::string> run();
  void stop();

  // Every config stored at the start has been read.
  bool configs_loaded() const { return configs_loaded_; }

 private:
  boost::asio::awaitable<std::string> watch_configs();
  boost::asio::awaitable<std::string> follow_measurements();
  boost::asio::awaitable<void> pause(boost::asio::steady_timer& t, std::chrono::milliseconds d);

  nats_asio::jetstream& js_;
  iot::wire_names names_;
  sensor_registry& registry_;
  const apps::logger& log_;
  bool stopping_ = false;
  bool configs_loaded_ = false;
  nats_asio::kv_watcher* watcher_ = nullptr;
  nats_asio::js_subscription* subscription_ = nullptr;
  boost::asio::steady_timer config_pause_, measurement_pause_;  // retries
};

}  // namespace server
