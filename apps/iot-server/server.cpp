#include "server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include "../common/provision.hpp"
#include "../common/start_retry.hpp"
#include "api_json.hpp"
#include "historian/open_store.hpp"
#include "http/listen_address.hpp"

namespace server {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::awaitable;
using asio::use_awaitable;
using namespace std::chrono_literals;

server_runtime::server_runtime(asio::any_io_executor ex, apps::app_settings nats,
                               server_settings own, std::shared_ptr<asio::ssl::context> tls,
                               const apps::logger& log)
    : nats_settings_(std::move(nats)),
      settings_(std::move(own)),
      log_(log),
      conn_(ex),
      command_conn_(ex),
      tls_(std::move(tls)),
      provision_pause_(ex) {
  nats_health_.connected = false;
}

void server_runtime::stop() {
  if (stopping_) return;
  stopping_ = true;
  log_.info("stopping");
  provision_pause_.cancel();
  if (http_) http_->stop();
  if (ingest_) ingest_->stop();
  if (retention_) retention_->stop();
  if (service_) service_->stop();
  if (feed_) feed_->stop();
  if (commands_) commands_->stop();
  if (hub_) hub_->stop();
}

awaitable<bool> server_runtime::open_database() {
  storage::diagnostics diag;
  auto [ec, store] = co_await historian::async_open_store(co_await asio::this_coro::executor,
                                                          settings_.db, historian::store_options{},
                                                          diag, as_tuple(use_awaitable));
  if (ec) {
    log_.error("cannot open database " + settings_.db.masked + ": " +
               (diag.message().empty() ? ec.message() : diag.message()));
    co_return false;
  }
  store_ = std::move(store);
  log_.info("database " + store_->name() + " open");
  co_return true;
}

std::string server_runtime::start_http() {
  http::server_options o;
  o.bearer_token = settings_.api_token;
  o.token_prefix = "/api/";
  o.cors_origin = settings_.cors_origin;
  o.tls = tls_;
  o.on_request = [this](const http::request_record& r) { metrics_.http_request(r); };
  http_.emplace(conn_.get_executor(), std::move(o));

  // The roles' objects are made once NATS is reached; what they will be
  // is known now, and the routes read them through these pointers.
  server_metrics::sources scrape;
  scrape.nats = &nats_health_;
  scrape.open_event_streams = [this] { return http_->open_event_streams(); };
  if (settings_.ingests()) scrape.ingest = &ingest_counters_;
  if (settings_.serves()) {
    scrape.sensors = &sensors_;
    scrape.commands = [this]() -> const command_counters* {
      return commands_ ? &commands_->counters() : nullptr;
    };
  }
  health_.emplace(health_sources{.nats = nats_health_,
                                 .ingest = scrape.ingest,
                                 .max_lag = 60s,
                                 .metrics = metrics_,
                                 .scrape = scrape});
  add_health_routes(*http_, *health_);
  if (settings_.serves()) {
    add_dashboard_routes(*http_);
    add_openapi_route(*http_);
    add_sensor_routes(*http_, sensors_);
    command_sources_.emplace(command_sources{sensors_, nats_health_});
    add_command_routes(*http_, *command_sources_);
    add_history_routes(*http_, store_);
    deadletter_sources_.emplace(deadletter_sources{nats_settings_.names, nats_health_});
    add_deadletter_routes(*http_, *deadletter_sources_);
    add_event_routes(*http_, hub_ptr_);
  }

  if (auto error = http_->listen(settings_.http_listen); !error.empty())
    return "cannot serve HTTP on " + error;
  log_.info(std::string("HTTP API on ") + (tls_ ? "https" : "http") + "://" +
            http::to_string(http_->local_endpoint()) +
            (settings_.api_token.empty() ? "" : " (a bearer token is required under /api)"));
  return "";
}

awaitable<int> server_runtime::run() {
  if (!co_await open_database()) co_return 1;
  int code = 0;
  if (auto error = start_http(); !error.empty()) {
    log_.error(error);
    code = 1;
  } else {
    using namespace asio::experimental::awaitable_operators;
    auto nats_roles = [&]() -> awaitable<void> {
      code = co_await run_nats_roles();
      http_->stop();  // the roles have ended: so does the API
    };
    co_await (http_->run() && nats_roles());
  }
  co_await store_->async_close(as_tuple(use_awaitable));
  co_return code;
}

awaitable<int> server_runtime::run_nats_roles() {
  if (!co_await apps::connect_and_provision(conn_, js_, nats_settings_, log_, stopping_,
                                            provision_pause_))
    co_return stopping_ ? 0 : 1;
  nats_health_.connected = true;
  if (settings_.serves()) {
    auto o = nats_settings_.connect;
    o.send_asap = true;
    auto [ec, detail] = co_await command_conn_.async_connect(o, as_tuple(use_awaitable));
    if (ec) {
      log_.error("the API's command connection: " +
                 apps::connect_failure(nats_settings_, ec, detail));
      co_await conn_.async_close(as_tuple(use_awaitable));
      co_return 1;
    }
    command_js_.emplace(command_conn_);
  }
  using namespace asio::experimental::awaitable_operators;
  // Every role's object first, so that each may refer to the others.
  if (settings_.ingests()) {
    ingest_options o;
    o.batch_max = settings_.batch;
    o.linger = settings_.linger;
    o.replicas = nats_settings_.replicas;
    o.start_timeout = nats_settings_.start_timeout;
    ingest_.emplace(*js_, store_, nats_settings_.names, o, ingest_counters_, log_);
    if (settings_.retention) retention_.emplace(store_, *settings_.retention, log_);
  }
  if (settings_.serves()) {
    handlers_.emplace(store_, ingest_ ? &ingest_->counters() : nullptr);
    service_.emplace(conn_, *handlers_, nats_settings_.names, log_);
    feed_.emplace(*js_, nats_settings_.names, sensors_, log_);
    commands_.emplace(command_conn_, *command_js_, nats_settings_.names, log_);
    hub_.emplace(*js_, nats_settings_.names, sensors_, log_);
    hub_ptr_ = &*hub_;
    commands_->on_result = [this](const command_record& r) {
      hub_->command_result(r.sensor_id, boost::json::serialize(command_json(r)));
    };
    health_->feed = &*feed_;
    health_->hub = &*hub_;
    command_sources_->feed = &*feed_;
    command_sources_->commands = &*commands_;
    deadletter_sources_->js = &*js_;
  }
  std::string ingest_error, serve_error, feed_error, commands_error, hub_error;
  auto ingest_role = [&]() -> awaitable<void> {
    if (!ingest_ || stopping_) co_return;
    ingest_error = co_await ingest_->run();
    if (!ingest_error.empty()) stop();  // the other roles end with it
  };
  auto retention_role = [&]() -> awaitable<void> {
    if (retention_ && !stopping_) co_await retention_->run();
  };
  auto serve_role = [&]() -> awaitable<void> {
    if (!service_ || stopping_) co_return;
    serve_error = co_await service_->run();
    if (!serve_error.empty()) stop();
  };
  auto feed_role = [&]() -> awaitable<void> {
    if (!feed_ || stopping_) co_return;
    feed_error = co_await feed_->run();
    if (!feed_error.empty()) stop();
  };
  auto commands_role = [&]() -> awaitable<void> {
    if (!commands_ || stopping_) co_return;
    commands_error = co_await commands_->run();
    if (!commands_error.empty()) stop();
  };
  auto hub_role = [&]() -> awaitable<void> {
    if (!hub_ || stopping_) co_return;
    hub_error = co_await hub_->run();
    if (!hub_error.empty()) stop();
  };
  int code = 0;
  auto roles_then_drain = [&]() -> awaitable<void> {
    co_await (ingest_role() && retention_role() && serve_role() && feed_role() && commands_role() &&
              hub_role());
    for (const auto* error :
         {&ingest_error, &serve_error, &feed_error, &commands_error, &hub_error}) {
      if (error->empty()) continue;
      log_.error(*error);
      code = 1;
    }
    if (ingest_ && code == 0) {
      const auto& c = ingest_->counters();
      log_.info("stored " + std::to_string(c.stored) + " measurements (" +
                std::to_string(c.duplicates) + " already stored, " + std::to_string(c.rejected) +
                " rejected) in " + std::to_string(c.batches) + " transactions");
    }
    // A drain needs the server; without one (reconnecting), close.
    for (auto* c : {&command_conn_, &conn_}) {
      if (c == &command_conn_ && !command_js_) continue;
      auto [dec] = co_await c->async_drain(2s, as_tuple(use_awaitable));
      if (dec) co_await c->async_close(as_tuple(use_awaitable));
    }
  };
  // The connection's events until the drain closes it.
  co_await (roles_then_drain() && apps::follow_connection(conn_, nats_health_, stopping_, log_));
  co_return code;
}

}  // namespace server
