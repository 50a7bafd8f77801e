// The history handlers as a NATS service ("iot-history", discoverable
// through $SRV.PING/INFO/STATS): requests on <history_subject>.range,
// .buckets, .latest and .stats, shared by every iot-server through the
// service's queue group.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>

#include "../common/logger.hpp"
#include "history_handlers.hpp"
#include "iot/wire.hpp"
#include "nats_asio/connection.hpp"

namespace server {

inline constexpr const char* history_service_name = "iot-history";

class history_service {
 public:
  history_service(nats_asio::connection& conn, history_handlers& handlers,
                  const iot::wire_names& names, const apps::logger& log)
      : conn_(conn), handlers_(handlers), names_(names), log_(log) {}

  // Answers until stop(); "" then, else a one-line reason.
  boost::asio::awaitable<std::string> run();
  void stop();

 private:
  nats_asio::connection& conn_;
  history_handlers& handlers_;
  const iot::wire_names& names_;
  const apps::logger& log_;
  bool stopping_ = false;
  std::function<void()> stop_service_;
};

}  // namespace server
