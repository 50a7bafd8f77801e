#include "nats_health.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace apps {

namespace asio = boost::asio;

asio::awaitable<void> follow_connection(nats_asio::connection& conn, nats_health& health,
                                        const bool& stopping, const apps::logger& log) {
  using kind = nats_asio::connection_event::kind;
  for (;;) {
    auto [ec, e] = co_await conn.async_next_event(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;  // closed, or the connection object is going away
    switch (e.what) {
      case kind::disconnected:
        health.connected = false;
        ++health.disconnects;
        if (!stopping)
          log.warn("lost the NATS server" + (e.url.empty() ? "" : " " + e.url) + "; reconnecting");
        break;
      case kind::reconnected:
        health.connected = true;
        ++health.reconnects;
        log.info("reconnected to the NATS server" + (e.url.empty() ? "" : " " + e.url));
        break;
      case kind::closed:
        health.connected = false;
        co_return;
      case kind::error:
        log.warn("NATS: " + (e.text.empty() ? e.error.message() : e.text));
        break;
      case kind::lame_duck:
        log.info("the NATS server" + (e.url.empty() ? "" : " " + e.url) +
                 " is shutting down (lame duck)");
        break;
    }
  }
}

}  // namespace apps
