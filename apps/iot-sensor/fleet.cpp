#include "fleet.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fstream>
#include <iostream>
#include <random>
#include <unordered_map>

#include "../common/metric_families.hpp"
#include "../common/provision.hpp"
#include "../common/start_retry.hpp"
#include "http/listen_address.hpp"
#include "iot/duration.hpp"
#include "sensor_metrics.hpp"

namespace sensor {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;
using namespace std::chrono_literals;

namespace {

// Logs an exception that escaped a coroutine instead of ending the process.
auto log_escape(apps::logger& log, std::string what) {
  return [&log, what = std::move(what)](std::exception_ptr e, auto&&...) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      log.error(what + " failed unexpectedly: " + ex.what());
    }
  };
}

void print_counts(std::ostream& out, const sensor_summary& s) {
  out << "published " << s.published << ", acknowledged " << s.acknowledged << ", unacknowledged "
      << s.unacknowledged << ", corrected " << s.corrected << ", commands applied " << s.applied
      << ", rejected " << s.rejected;
}

}  // namespace

std::vector<std::string> member_ids(const std::string& sensor_id, std::size_t count) {
  if (count == 0) return {sensor_id};
  std::vector<std::string> ids;
  ids.reserve(count);
  for (std::size_t i = 1; i <= count; ++i) ids.push_back(sensor_id + "." + std::to_string(i));
  return ids;
}

fleet_runtime::fleet_runtime(asio::any_io_executor ex, fleet_options options, apps::logger& log)
    : executor_(ex),
      options_(std::move(options)),
      log_(log),
      conn_(ex),
      changed_(ex),
      provision_pause_(ex) {}

void fleet_runtime::stop() {
  if (stopping_) return;
  log_.info("stopping");
  halt();
}

void fleet_runtime::halt() {
  if (stopping_) return;
  stopping_ = true;
  provision_pause_.cancel();
  for (auto& s : sensors_) s->stop();
  if (commands_) commands_->stop();
  if (publisher_) publisher_->stop_waiting();
  changed();
}

asio::awaitable<void> fleet_runtime::wait_until(std::function<bool()> done) {
  while (!done()) co_await changed_.async_wait(as_tuple(use_awaitable));
}

asio::awaitable<bool> fleet_runtime::connect_and_provision() {
  auto assets = co_await apps::connect_and_provision(conn_, js_, options_.settings, log_, stopping_,
                                                     provision_pause_);
  if (!assets) co_return false;
  kv_ = std::move(assets->config);
  publisher_.emplace(*js_, options_.buffer, log_);
  context_.emplace(sensor_context{conn_, *js_, *kv_, *publisher_, options_.settings});
  co_return true;
}

void fleet_runtime::launch(sensor_runtime& s, asio::awaitable<void> loop) {
  ++running_;
  asio::co_spawn(executor_, std::move(loop), [this, &s](std::exception_ptr e) {
    log_escape(log_, "sensor " + s.id())(e);
    --running_;
    changed();
  });
}

// A few workers take the sensors in order, so that at most
// start_concurrency steps (JetStream API requests) are in flight.
asio::awaitable<void> fleet_runtime::for_each_sensor(
    std::function<asio::awaitable<bool>(sensor_runtime&)> step,
    std::function<void(sensor_runtime&)> then) {
  std::size_t next = 0;
  std::size_t workers_left = 0;
  auto worker = [&]() -> asio::awaitable<void> {
    while (!stopping_ && !start_failed_ && next < sensors_.size()) {
      auto& s = *sensors_[next++];
      if (!co_await step(s)) {
        if (!stopping_) start_failed_ = true;  // else it was stopped while waiting
        break;
      }
      if (!stopping_) then(s);
    }
  };
  const auto workers =
      std::min(std::max<std::size_t>(options_.start_concurrency, 1), sensors_.size());
  for (std::size_t i = 0; i < workers; ++i) {
    ++workers_left;
    asio::co_spawn(executor_, worker(), [&](std::exception_ptr e) {
      if (e) {
        log_escape(log_, "starting a sensor")(e);
        start_failed_ = true;
      }
      --workers_left;
      changed();
    });
  }
  co_await wait_until([&] { return workers_left == 0; });
}

// One sensor checks everything before it writes its config (sensor.hpp). A
// fleet measures as soon as each member's config is stored and subscribes to
// its command consumer afterwards: commands wait in the work queue until then.
asio::awaitable<void> fleet_runtime::start_sensors() {
  using ms = std::chrono::milliseconds;
  const auto began = std::chrono::steady_clock::now();
  auto since_began = [&] {
    return std::to_string(
        std::chrono::duration_cast<ms>(std::chrono::steady_clock::now() - began).count());
  };
  auto measure = [this](sensor_runtime& s) { launch(s, s.measure_loop()); };
  if (options_.count == 0) {
    co_await for_each_sensor([](sensor_runtime& s) { return s.start(); },
                             [&](sensor_runtime& s) {
                               measure(s);
                               launch(s, s.command_loop());
                             });
    co_return;
  }
  co_await for_each_sensor(
      [](sensor_runtime& s) -> asio::awaitable<bool> {
        const bool read = co_await s.read_config();  // (not in a &&: see sensor.cpp)
        if (!read) co_return false;
        co_return co_await s.store_config();
      },
      measure);
  if (start_failed_ || stopping_) co_return;
  const auto publishing = since_began();
  const auto n = std::to_string(sensors_.size());
  const auto consumer = iot::wire_names::command_consumer(sensors_.front()->id());
  log_.info("fleet publishing: " + n + " sensors after " + publishing +
            " ms; subscribing to their command consumer " + consumer);
  commands_.emplace(*context_, options_.sensor_id, sensors_, log_);
  apps::start_retry retry(options_.settings.start_timeout, log_, apps::log_level::info, stopping_,
                          provision_pause_);
  const bool subscribed = co_await commands_->subscribe(retry, stopping_);
  if (!subscribed) {
    if (!stopping_) start_failed_ = true;
    co_return;
  }
  ++running_;
  asio::co_spawn(executor_, commands_->run(), [this](std::exception_ptr e) {
    log_escape(log_, "taking commands")(e);
    --running_;
    changed();
  });
  log_.info("fleet started: " + n + " sensors, all publishing after " + publishing +
            " ms, all command consumers ready after " + since_began() + " ms (" + consumer +
            "), measurements on " +
            options_.settings.names.measurements_of(options_.sensor_id + ".<n>"));
}

asio::awaitable<int> fleet_runtime::run() {
  // Stopped while waiting for the servers: nothing started, nothing failed.
  if (auto error = start_metrics(); !error.empty()) {
    log_.error(error);
    co_return 1;
  }
  // The metrics server stops with this coroutine, however it ends.
  struct stop_metrics {
    std::optional<http::server>& server;
    ~stop_metrics() {
      if (server) server->stop();
    }
  } stop_metrics_at_end{metrics_};
  nats_health_.connected = false;
  if (!co_await connect_and_provision()) co_return stopping_ ? 0 : 1;
  nats_health_.connected = true;
  asio::co_spawn(executor_, apps::follow_connection(conn_, nats_health_, stopping_, log_),
                 asio::detached);

  const auto ids = member_ids(options_.sensor_id, options_.count);
  std::mt19937 seeds(std::random_device{}());
  const auto phase_origin = std::chrono::steady_clock::now();
  sensors_.reserve(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    sensor_options so;
    so.sensor_id = ids[i];
    so.interval = options_.interval;
    so.history = options_.history;
    so.phase = options_.jitter ? static_cast<double>(i) / static_cast<double>(ids.size()) : 0;
    so.phase_origin = phase_origin;
    so.log_each_measurement = options_.count == 0;
    so.exit_before_ack = options_.exit_before_ack;
    so.replace_config = options_.replace_config;
    so.seed = seeds();
    so.log_level = options_.log_level;
    sensors_.push_back(std::make_unique<sensor_runtime>(*context_, std::move(so)));
  }

  co_await start_sensors();
  const bool failed = start_failed_;
  if (failed) {
    if (options_.count > 0)
      log_.error("the fleet could not start (the reason is above); stopping it");
    halt();  // the error said it all
  }
  co_await wait_until([this] { return running_ == 0; });

  co_await publisher_->finish(options_.shutdown_grace);
  for (auto& s : sensors_) s->unsubscribe();
  if (commands_) commands_->unsubscribe();
  // A drain needs the server; without one (reconnecting), close, which also
  // ends follow_connection.
  auto [dec] = co_await conn_.async_drain(2s, as_tuple(use_awaitable));
  if (dec) co_await conn_.async_close(as_tuple(use_awaitable));
  co_await publisher_->wait_idle();  // the close ended the last attempts
  if (failed) co_return 1;

  if (const auto& lost = publisher_->given_up(); !lost.empty()) {
    std::string ids_text;
    for (std::size_t i = 0; i < lost.size() && i < 10; ++i) ids_text += (i ? ", " : "") + lost[i];
    if (lost.size() > 10) ids_text += ", ...";
    log_.error("gave up on " + std::to_string(lost.size()) +
               " measurements not acknowledged within " +
               iot::format_duration(options_.shutdown_grace) + " of shutdown: " + ids_text);
    // Message ids are "<sensor>:<lecture_id>[:<revision>]".
    std::unordered_map<std::string_view, sensor_runtime*> by_id;
    for (auto& s : sensors_) by_id.emplace(s->id(), s.get());
    for (const auto& id : lost)
      if (auto it = by_id.find(std::string_view(id).substr(0, id.find(':'))); it != by_id.end())
        ++it->second->summary().unacknowledged;
  }
  print_summary();
  if (options_.dump_file) write_dump();
  co_return 0;
}

std::string fleet_runtime::start_metrics() {
  if (!options_.metrics_listen) return "";
  metrics_.emplace(executor_);
  metrics_->add(http::verb::get, "/metrics",
                [this](const http::request_context& c) -> asio::awaitable<http::response> {
                  co_return http::make_response(
                      c.req, 200,
                      metrics_text(sensors_, publisher_ ? &*publisher_ : nullptr, options_.buffer,
                                   nats_health_),
                      apps::metrics::content_type);
                });
  if (auto error = metrics_->listen(*options_.metrics_listen); !error.empty())
    return "cannot serve metrics on " + error;
  log_.info("metrics on http://" + http::to_string(metrics_->local_endpoint()) + "/metrics");
  asio::co_spawn(executor_, metrics_->run(), asio::detached);
  return "";
}

void fleet_runtime::print_summary() {
  if (options_.count == 0) {
    std::cout << "summary: ";
    print_counts(std::cout, sensors_.front()->summary());
    std::cout << std::endl;
    return;
  }
  sensor_summary total;
  for (auto& s : sensors_) {
    std::cout << "summary " << s->id() << ": ";
    print_counts(std::cout, s->summary());
    std::cout << '\n';
    total += s->summary();
  }
  std::cout << "summary: sensors " << sensors_.size() << ", ";
  print_counts(std::cout, total);
  std::cout << std::endl;
}

void fleet_runtime::write_dump() const {
  std::ofstream out(*options_.dump_file);
  for (const auto& s : sensors_) s->write_history(out);
  if (!out) log_.error("cannot write " + *options_.dump_file);
}

}  // namespace sensor
