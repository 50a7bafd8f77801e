#include <boost/json/serialize.hpp>

#include "../common/metric_families.hpp"
#include "api_routes.hpp"

namespace server {

namespace asio = boost::asio;
using asio::awaitable;

void add_health_routes(http::server& s, const health_sources& src) {
  s.add(http::verb::get, "/healthz",
        [](const http::request_context& c) -> awaitable<http::response> {
          co_return http::make_response(c.req, 200, R"({"status":"alive"})");
        });

  s.add(http::verb::get, "/readyz",
        [&src](const http::request_context& c) -> awaitable<http::response> {
          boost::json::array checks;
          bool ready = true;
          auto check = [&](const char* name, bool ok, std::string detail) {
            ready = ready && ok;
            checks.push_back({{"name", name}, {"ok", ok}, {"detail", std::move(detail)}});
          };
          check("nats", src.nats.connected, src.nats.connected ? "connected" : "disconnected");
          if (const auto* i = src.ingest) {
            check("database", !i->retrying,
                  i->retrying ? "writes are failing and being retried" : "writable");
            const auto lag = std::chrono::milliseconds(i->last_lag_ms.load());
            check("ingest_lag", lag <= src.max_lag,
                  std::to_string(lag.count()) + " ms (at most " +
                      std::to_string(src.max_lag.count()) + " ms)");
          }
          if (const auto* f = src.feed)
            check("sensors", f->configs_loaded(),
                  f->configs_loaded() ? "configs loaded" : "loading configs");
          if (const auto* h = src.hub)
            check("events", h->live(),
                  h->live() ? "following the measurements stream"
                            : "not following the measurements stream");
          boost::json::object body{{"ready", ready}, {"checks", std::move(checks)}};
          co_return http::make_response(c.req, ready ? 200 : 503, boost::json::serialize(body));
        });

  s.add(http::verb::get, "/metrics",
        [&src](const http::request_context& c) -> awaitable<http::response> {
          co_return http::make_response(c.req, 200, src.metrics.scrape(src.scrape),
                                        apps::metrics::content_type);
        });
}

}  // namespace server
