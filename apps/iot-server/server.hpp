// iot-server's run: opens the database, serves HTTP (health, metrics, and
// the API when it serves), connects to NATS, and runs the roles the
// settings ask for until a signal or a failure.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>

#include "../common/app_settings.hpp"
#include "../common/logger.hpp"
#include "../common/nats_health.hpp"
#include "api_routes.hpp"
#include "historian/measurement_store.hpp"
#include "history_handlers.hpp"
#include "history_service.hpp"
#include "http/server.hpp"
#include "ingest.hpp"
#include "nats_asio/connection.hpp"
#include "nats_asio/jetstream.hpp"
#include "retention.hpp"
#include "sensor_feed.hpp"
#include "sensor_registry.hpp"
#include "server_metrics.hpp"
#include "server_settings.hpp"

namespace server {

class server_runtime {
 public:
  // `tls`: HTTPS when set (loaded from own.tls_cert and own.tls_key).
  server_runtime(boost::asio::any_io_executor ex, apps::app_settings nats, server_settings own,
                 std::shared_ptr<boost::asio::ssl::context> tls, const apps::logger& log);

  // The exit code: 0 after stop(), 1 after a failure (logged, one line).
  boost::asio::awaitable<int> run();
  // SIGINT/SIGTERM: finish the batch being written and the HTTP requests
  // in flight, end event streams, then exit.
  void stop();

 private:
  boost::asio::awaitable<bool> open_database();
  // Routes and the listening socket; "" or why not.
  std::string start_http();
  // Connects, provisions and runs the NATS roles; the exit code.
  boost::asio::awaitable<int> run_nats_roles();

  apps::app_settings nats_settings_;
  server_settings settings_;
  const apps::logger& log_;
  nats_asio::connection conn_;
  std::optional<nats_asio::jetstream> js_;
  // The API's commands: a connection that writes each message at once
  // (send-asap), as a person or a controller waits on every command; the
  // main one lets nats.c batch ingest's acknowledgements.
  nats_asio::connection command_conn_;
  std::optional<nats_asio::jetstream> command_js_;
  std::shared_ptr<historian::measurement_store> store_;
  ingest_counters ingest_counters_;
  std::optional<ingest> ingest_;
  std::optional<retention> retention_;
  std::optional<history_handlers> handlers_;
  std::optional<history_service> service_;
  apps::nats_health nats_health_;
  sensor_registry sensors_;
  std::optional<sensor_feed> feed_;
  std::optional<command_tracker> commands_;
  std::optional<event_hub> hub_;
  event_hub* hub_ptr_ = nullptr;  // what the event route reads: null until NATS
  std::optional<command_sources> command_sources_;
  std::optional<deadletter_sources> deadletter_sources_;
  server_metrics metrics_;
  std::optional<health_sources> health_;
  std::optional<http::server> http_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  boost::asio::steady_timer provision_pause_;
  bool stopping_ = false;
};

}  // namespace server
