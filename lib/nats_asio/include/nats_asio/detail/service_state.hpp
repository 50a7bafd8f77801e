// The shared state of a service and of its endpoints. The discovery loops
// (on the connection's executor) hold the service's state, never the
// `service` object, and read its endpoints under its mutex while the owner
// adds and stops endpoints on its own executor.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "nats_asio/detail/connection_core.hpp"
#include "nats_asio/detail/endpoint_stats.hpp"
#include "nats_asio/detail/service_json.hpp"
#include "nats_asio/detail/subscription_state.hpp"
#include "nats_asio/service.hpp"

namespace nats_asio::detail {

struct service_state;

struct endpoint_state {
  endpoint_config config;
  std::shared_ptr<endpoint_stats> stats = std::make_shared<endpoint_stats>();
  std::shared_ptr<subscription_state<service_request>> requests;
  std::weak_ptr<service_state> service;

  // Unsubscribes and leaves the service's list (idempotent).
  void stop();
};

struct service_state {
  boost::asio::any_io_executor executor;  // the connection's
  std::weak_ptr<connection_core> core;
  service_config config;
  std::string id;
  std::chrono::system_clock::time_point started;
  std::atomic<bool> stopped{false};

  // The discovery subscriptions: PING, INFO and STATS in their three forms.
  std::vector<std::shared_ptr<subscription_state<message>>> discovery;

  mutable std::mutex mutex;
  std::vector<std::shared_ptr<endpoint_state>> endpoints;  // under `mutex`

  // The endpoints as INFO and STATS report them, in the order added.
  std::vector<endpoint_report> reports() const;
  // Unsubscribes discovery and endpoints (idempotent).
  void stop();
};

}  // namespace nats_asio::detail
