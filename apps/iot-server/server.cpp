#include "server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "../common/provision.hpp"
#include "../common/start_retry.hpp"
#include "historian/open_store.hpp"

namespace server {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::awaitable;
using asio::use_awaitable;
using namespace std::chrono_literals;

server_runtime::server_runtime(asio::any_io_executor ex, apps::app_settings nats,
                               server_settings own, const apps::logger& log)
    : nats_settings_(std::move(nats)),
      settings_(std::move(own)),
      log_(log),
      conn_(ex),
      provision_pause_(ex) {}

void server_runtime::stop() {
  if (stopping_) return;
  stopping_ = true;
  log_.info("stopping");
  provision_pause_.cancel();
  if (ingest_) ingest_->stop();
  if (retention_) retention_->stop();
  if (service_) service_->stop();
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

awaitable<int> server_runtime::run() {
  if (!co_await open_database()) co_return 1;
  int code = 0;
  if (!co_await apps::connect_and_provision(conn_, js_, nats_settings_, log_, stopping_,
                                            provision_pause_)) {
    code = stopping_ ? 0 : 1;
  } else {
    using namespace asio::experimental::awaitable_operators;
    // Every role's object first, so that each may refer to the others.
    if (settings_.ingests()) {
      ingest_options o;
      o.batch_max = settings_.batch;
      o.linger = settings_.linger;
      o.replicas = nats_settings_.replicas;
      o.start_timeout = nats_settings_.start_timeout;
      ingest_.emplace(*js_, store_, nats_settings_.names, o, log_);
      if (settings_.retention) retention_.emplace(store_, *settings_.retention, log_);
    }
    if (settings_.serves()) {
      handlers_.emplace(store_, ingest_ ? &ingest_->counters() : nullptr);
      service_.emplace(conn_, *handlers_, nats_settings_.names, log_);
    }
    std::string ingest_error, serve_error;
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
    co_await (ingest_role() && retention_role() && serve_role());
    for (const auto* error : {&ingest_error, &serve_error}) {
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
    co_await conn_.async_drain(2s, as_tuple(use_awaitable));
  }
  co_await store_->async_close(as_tuple(use_awaitable));
  co_return code;
}

}  // namespace server
