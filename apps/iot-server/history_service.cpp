#include "history_service.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <functional>
#include <vector>

#include "nats_asio/service.hpp"

namespace server {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::awaitable;
using asio::use_awaitable;

namespace {

using handler_fn = awaitable<history_reply> (history_handlers::*)(std::string_view);

// Answers one request; runs beside the others, so a slow query holds up
// nothing but itself.
awaitable<void> answer(history_handlers& handlers, handler_fn fn, nats_asio::service_request req,
                       const apps::logger& log) {
  auto reply = co_await (handlers.*fn)(req.payload());
  boost::system::error_code ec;
  if (reply.status == 200)
    ec = req.respond(reply.body);
  else
    ec = req.respond_error(reply.status, reply.body);
  if (ec) log.warn("history: reply to " + req.subject() + " not sent: " + ec.message());
}

awaitable<void> serve_endpoint(nats_asio::service_endpoint& endpoint, history_handlers& handlers,
                               handler_fn fn, const apps::logger& log) {
  auto ex = co_await asio::this_coro::executor;
  for (;;) {
    auto [ec, req] = co_await endpoint.async_receive(as_tuple(use_awaitable));
    if (ec == nats_asio::errc::queue_overflow) continue;  // the clients time out and retry
    if (ec) co_return;
    asio::co_spawn(ex, answer(handlers, fn, std::move(req), log), asio::detached);
  }
}

}  // namespace

void history_service::stop() {
  stopping_ = true;
  if (stop_service_) stop_service_();
}

awaitable<std::string> history_service::run() {
  nats_asio::service_config config;
  config.name = history_service_name;
  config.version = "0.1.0";
  config.description = "Stored measurements: raw ranges, buckets, the latest of each sensor";
  boost::system::error_code ec;
  auto service = nats_asio::service::start(conn_, config, ec);
  if (ec) co_return "cannot start the history service: " + ec.message();
  struct route {
    const char* name;
    handler_fn fn;
  };
  const route routes[] = {{"range", &history_handlers::range},
                          {"buckets", &history_handlers::buckets},
                          {"latest", &history_handlers::latest},
                          {"stats", &history_handlers::stats}};
  std::vector<nats_asio::service_endpoint> endpoints;
  for (const auto& r : routes) {
    nats_asio::endpoint_config ec_config;
    ec_config.name = r.name;
    ec_config.subject = names_.history_subject + "." + r.name;
    endpoints.push_back(service.add_endpoint(ec_config, ec));
    if (ec) co_return "cannot serve " + ec_config.subject + ": " + ec.message();
  }
  stop_service_ = [&service] { service.stop(); };
  if (stopping_) service.stop();
  log_.info("history service " + std::string(history_service_name) + " answering on " +
            names_.history_subject + ".{range,buckets,latest,stats}");
  using namespace asio::experimental::awaitable_operators;
  co_await (serve_endpoint(endpoints[0], handlers_, routes[0].fn, log_) &&
            serve_endpoint(endpoints[1], handlers_, routes[1].fn, log_) &&
            serve_endpoint(endpoints[2], handlers_, routes[2].fn, log_) &&
            serve_endpoint(endpoints[3], handlers_, routes[3].fn, log_));
  stop_service_ = nullptr;
  if (stopping_) co_return "";
  co_return "the history service stopped: the NATS connection closed";
}

}  // namespace server
