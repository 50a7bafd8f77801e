#include "sensor_feed.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "nats_asio/kv_bucket.hpp"

namespace server {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::awaitable;
using asio::use_awaitable;
using namespace std::chrono_literals;

namespace {

// The server sends a heartbeat this often to an idle consumer; three
// missed ones mean the consumer is gone.
constexpr auto heartbeat = 5s;

bool final_error(const nats_asio::error_code& ec) {
  return ec == nats_asio::errc::permission_denied || ec == nats_asio::errc::connection_closed;
}

}  // namespace

sensor_feed::sensor_feed(nats_asio::jetstream& js, iot::wire_names names, sensor_registry& registry,
                         const apps::logger& log)
    : js_(js),
      names_(std::move(names)),
      registry_(registry),
      log_(log),
      config_pause_(js.get_executor()),
      measurement_pause_(js.get_executor()) {}

void sensor_feed::stop() {
  if (stopping_) return;
  stopping_ = true;
  config_pause_.cancel();
  measurement_pause_.cancel();
  if (watcher_) watcher_->stop();
  if (subscription_) subscription_->unsubscribe();
}

awaitable<void> sensor_feed::pause(asio::steady_timer& t, std::chrono::milliseconds d) {
  t.expires_after(d);
  co_await t.async_wait(as_tuple(use_awaitable));
}

awaitable<std::string> sensor_feed::run() {
  using namespace asio::experimental::awaitable_operators;
  std::string configs_error, measurements_error;
  auto configs = [&]() -> awaitable<void> {
    configs_error = co_await watch_configs();
    if (!configs_error.empty()) stop();
  };
  auto measurements = [&]() -> awaitable<void> {
    measurements_error = co_await follow_measurements();
    if (!measurements_error.empty()) stop();
  };
  co_await (configs() && measurements());
  co_return configs_error.empty() ? measurements_error : configs_error;
}

awaitable<std::string> sensor_feed::watch_configs() {
  const auto& bucket = names_.config_bucket;
  while (!stopping_) {
    auto [oec, kv] = co_await nats_asio::async_open_key_value(js_, bucket, as_tuple(use_awaitable));
    if (oec) {
      if (final_error(oec)) co_return "bucket " + bucket + ": " + oec.message();
      log_.warn("bucket " + bucket + ": " + oec.message() + "; retrying");
      co_await pause(config_pause_, 1s);
      continue;
    }
    auto [wec, watcher] = co_await kv.async_watch(">", as_tuple(use_awaitable));
    if (wec) {
      if (final_error(wec)) co_return "watching bucket " + bucket + ": " + wec.message();
      log_.warn("watching bucket " + bucket + ": " + wec.message() + "; retrying");
      co_await pause(config_pause_, 1s);
      continue;
    }
    watcher_ = &watcher;
    if (stopping_) watcher.stop();
    for (;;) {
      auto [ec, e] = co_await watcher.async_next(as_tuple(use_awaitable));
      if (ec) {
        watcher_ = nullptr;
        if (stopping_ || ec == nats_asio::errc::subscription_closed) co_return "";
        co_return "watching bucket " + bucket + ": " + ec.message();
      }
      switch (e.operation) {
        case nats_asio::kv_operation::put:
          registry_.config_put(e.key, e.value);
          break;
        case nats_asio::kv_operation::erase:
        case nats_asio::kv_operation::purge:
          registry_.config_erased(e.key);
          break;
        case nats_asio::kv_operation::initial_done:
          configs_loaded_ = true;
          break;
      }
    }
  }
  co_return "";
}

awaitable<std::string> sensor_feed::follow_measurements() {
  const auto& stream = names_.measurements_stream;
  nats_asio::consumer_config cc;
  cc.filter_subject = names_.measurements_subject + ".>";
  cc.deliver = nats_asio::deliver_policy::last_per_subject;
  cc.ack = nats_asio::ack_policy::none;
  cc.idle_heartbeat = heartbeat;
  cc.flow_control = true;
  cc.memory_storage = true;
  cc.inactive_threshold = 30s;
  const auto prefix = names_.measurements_subject + ".";
  while (!stopping_) {
    auto [sec, sub] = co_await js_.async_subscribe(stream, cc, 16384, as_tuple(use_awaitable));
    if (sec) {
      if (final_error(sec)) co_return "following stream " + stream + ": " + sec.message();
      log_.warn("following stream " + stream + ": " + sec.message() + "; retrying");
      co_await pause(measurement_pause_, 1s);
      continue;
    }
    subscription_ = &sub;
    if (stopping_) sub.unsubscribe();
    for (;;) {
      auto [ec, msg] = co_await sub.async_receive_alive(3 * heartbeat, as_tuple(use_awaitable));
      if (ec == nats_asio::errc::queue_overflow) continue;  // a later measurement will come
      if (ec) {
        subscription_ = nullptr;
        if (stopping_) co_return "";
        if (ec == nats_asio::errc::permission_denied)
          co_return "following stream " + stream + ": " + ec.message();
        if (ec == nats_asio::errc::consumer_silent)
          log_.warn("the consumer following " + stream + " went silent; making it again");
        break;  // silent, or the connection closed: made again
      }
      iot::measurement m;
      if (!iot::decode_complete_measurement(msg.payload(), m).empty()) continue;
      if (msg.subject() != prefix + m.sensor_id) continue;  // not its own subject
      registry_.measured(m, msg.metadata().stream_sequence);
    }
    co_await pause(measurement_pause_, 250ms);
  }
  co_return "";
}

}  // namespace server
