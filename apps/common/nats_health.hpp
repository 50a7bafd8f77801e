// The NATS connection as readiness and metrics see it: connected or not,
// and how often it was lost, from the connection's events (which are also
// logged). The only reader of the connection's events.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>

#include "logger.hpp"
#include "nats_asio/connection.hpp"

namespace apps {

struct nats_health {
  bool connected = true;  // the connection starts connected
  std::uint64_t disconnects = 0;
  std::uint64_t reconnects = 0;
};

// Follows `conn`'s events into `health` until the connection closes. While
// `stopping`, the loss of the server is the drain's doing and is not logged.
boost::asio::awaitable<void> follow_connection(nats_asio::connection& conn, nats_health& health,
                                               const bool& stopping, const apps::logger& log);

}  // namespace apps
