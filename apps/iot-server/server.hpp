// iot-server's run: opens the database, connects to NATS, and runs the
// roles the settings ask for until a signal or a failure.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>

#include "../common/app_settings.hpp"
#include "../common/logger.hpp"
#include "historian/measurement_store.hpp"
#include "history_handlers.hpp"
#include "history_service.hpp"
#include "ingest.hpp"
#include "nats_asio/connection.hpp"
#include "nats_asio/jetstream.hpp"
#include "retention.hpp"
#include "server_settings.hpp"

namespace server {

class server_runtime {
 public:
  server_runtime(boost::asio::any_io_executor ex, apps::app_settings nats, server_settings own,
                 const apps::logger& log);

  // The exit code: 0 after stop(), 1 after a failure (logged, one line).
  boost::asio::awaitable<int> run();
  // SIGINT/SIGTERM: finish the batch being written, then exit.
  void stop();

 private:
  boost::asio::awaitable<bool> open_database();

  apps::app_settings nats_settings_;
  server_settings settings_;
  const apps::logger& log_;
  nats_asio::connection conn_;
  std::optional<nats_asio::jetstream> js_;
  std::shared_ptr<historian::measurement_store> store_;
  std::optional<ingest> ingest_;
  std::optional<retention> retention_;
  std::optional<history_handlers> handlers_;
  std::optional<history_service> service_;
  boost::asio::steady_timer provision_pause_;
  bool stopping_ = false;
};

}  // namespace server
