#include "sensor.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <sstream>
#include <tuple>

#include "../common/provision.hpp"
#include "../common/read_back.hpp"
#include "../common/start_retry.hpp"
#include "iot/duration.hpp"
#include "iot/sensor_id.hpp"

namespace sensor {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;
using namespace std::chrono_literals;

namespace {

std::string format_value(double v) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(2);
  out << v;
  return out.str();
}

// "published seq=3 lecture_id=... value=21.30 celsius" or "corrected ... revision=2".
std::string describe(const iot::measurement& m) {
  std::string text = m.revision > 1 ? "corrected" : "published seq=" + std::to_string(m.seq);
  text += " lecture_id=" + std::to_string(m.lecture_id) + " value=" + m.lecture + " " + m.unit;
  if (m.revision > 1) text += " revision=" + std::to_string(m.revision);
  return text;
}

// How long a fleet member waits before it tries a command again (apply_in_order).
constexpr std::chrono::milliseconds command_retry_pause{1000};

asio::awaitable<void> pause(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(as_tuple(use_awaitable));
}

}  // namespace

sensor_summary& sensor_summary::operator+=(const sensor_summary& o) {
  published += o.published;
  acknowledged += o.acknowledged;
  unacknowledged += o.unacknowledged;
  corrected += o.corrected;
  applied += o.applied;
  rejected += o.rejected;
  return *this;
}

sensor_runtime::sensor_runtime(sensor_context& context, sensor_options options)
    : ctx_(context),
      options_(std::move(options)),
      log_(options_.sensor_id, options_.log_level),
      measurements_subject_(ctx_.settings.names.measurements_of(options_.sensor_id)),
      on_stored_([this](const iot::measurement& m, bool duplicate) {
        ++summary_.acknowledged;
        if (log_.enabled(detail_level()))
          log_.at(detail_level(), describe(m) + (duplicate ? " (duplicate)" : ""));
      }),
      state_{iot::sensor_config{},
             iot::measurement_history(options_.history, options_.sensor_id, simulated_probe::unit)},
      probe_(options_.seed),
      tick_(ctx_.js.get_executor()) {}

void sensor_runtime::stop() {
  if (stopping_) return;
  stopping_ = true;
  tick_.cancel();
  if (retry_pause_) retry_pause_->cancel();
  stop_receiving_.emit(asio::cancellation_type::terminal);
}

asio::awaitable<bool> sensor_runtime::start() {
  // One co_await per statement: g++ 12 miscompiles co_await in a && or ||.
  const bool read = co_await read_config();
  if (!read) co_return false;
  const bool subscribed = co_await subscribe_commands();
  if (!subscribed) co_return false;
  const bool stored = co_await store_config();
  if (!stored) {
    unsubscribe();
    co_return false;
  }
  co_return true;
}

// Each step waits while the servers are not ready (a cluster forming, a
// leader election); stop() ends the wait (tick_ is not in use yet).
asio::awaitable<bool> sensor_runtime::read_config() {
  apps::start_retry retry(ctx_.settings.start_timeout, log_, detail_level(), stopping_, tick_);
  // The stored config survives restarts; a --interval flag overrides it.
  const auto key = iot::wire_names::config_key(options_.sensor_id);
  const auto& bucket = ctx_.settings.names.config_bucket;
  auto [gec, entry] = co_await retry.run(
      "config " + key, [&] { return ctx_.kv.async_get(key, as_tuple(use_awaitable)); });
  if (stopping_) co_return false;
  if (gec && gec != nats_asio::errc::key_not_found) {
    log_.error("cannot read config " + key + " in bucket " + bucket + ": " + gec.message() +
               retry.gave_up_note());
    co_return false;
  }
  if (gec) co_return true;  // none stored yet
  iot::sensor_config stored;
  if (auto reason = iot::decode_sensor_config(entry.value, stored); reason.empty()) {
    state_.config = stored;
  } else if (options_.replace_config) {
    log_.warn("config " + key + " in bucket " + bucket + " does not decode (" + reason +
              "); replacing it (--replace-config)");
  } else {
    log_.error("config " + key + " in bucket " + bucket + " does not decode: " + reason +
               "; left as it is (--replace-config overwrites it)");
    co_return false;
  }
  co_return true;
}

asio::awaitable<std::optional<nats_asio::js_subscription>> subscribe_to_commands(
    sensor_context& ctx, const std::string& sensor_id, std::size_t capacity,
    apps::start_retry& retry, const apps::logger& log, const bool& stopping) {
  const auto& names = ctx.settings.names;
  const auto cc = apps::command_consumer_config(ctx.settings, sensor_id);
  auto [sec, commands] =
      co_await retry.run("consumer " + cc.durable_name + " on " + names.commands_stream, [&] {
        return ctx.js.async_subscribe(names.commands_stream, cc, capacity, as_tuple(use_awaitable));
      });
  if (stopping) {
    commands.unsubscribe();
    co_return std::nullopt;
  }
  if (sec == nats_asio::errc::permission_denied) {
    log.error("cannot consume commands from " + names.commands_stream + ": consumer " +
              cc.durable_name + " is missing or differs, or " + cc.deliver_subject +
              " is not this identity's, and it may not fix that (" + sec.message() +
              "); provision it with an admin identity: iot-sim provision --sensorID " + sensor_id);
    co_return std::nullopt;
  }
  if (sec) {
    log.error("cannot consume commands from " + names.commands_stream + ": " + sec.message() +
              retry.gave_up_note());
    co_return std::nullopt;
  }
  co_return std::move(commands);
}

asio::awaitable<bool> sensor_runtime::subscribe_commands() {
  apps::start_retry retry(ctx_.settings.start_timeout, log_, detail_level(), stopping_, tick_);
  auto commands =
      co_await subscribe_to_commands(ctx_, options_.sensor_id, 16, retry, log_, stopping_);
  if (!commands) co_return false;
  commands_ = std::make_unique<nats_asio::js_subscription>(std::move(*commands));
  co_return true;
}

asio::awaitable<bool> sensor_runtime::store_config() {
  apps::start_retry retry(ctx_.settings.start_timeout, log_, detail_level(), stopping_, tick_);
  const auto key = iot::wire_names::config_key(options_.sensor_id);
  auto& config = state_.config;
  config.schema = 1;
  config.sensor_id = options_.sensor_id;
  if (options_.interval) config.interval = *options_.interval;
  config.updated_at = iot::clock::now();
  const auto value = iot::encode(config);
  auto [pec, revision] = co_await retry.run(
      "config " + key, [&] { return ctx_.kv.async_put(key, value, as_tuple(use_awaitable)); });
  if (stopping_) co_return false;
  if (pec) {
    log_.error("cannot store config " + key + ": " + pec.message() + retry.gave_up_note());
    co_return false;
  }
  log_.at(detail_level(), "started: interval " + iot::format_duration(config.interval) +
                              ", measurements on " + measurements_subject_ + ", commands from " +
                              ctx_.settings.names.commands_of(options_.sensor_id));
  co_return true;
}

asio::awaitable<bool> sensor_runtime::store_config(const iot::sensor_config& config) {
  const auto key = iot::wire_names::config_key(options_.sensor_id);
  const auto value = iot::encode(config);
  for (int attempt = 1;; ++attempt) {
    auto [ec, rev] = co_await ctx_.kv.async_put(key, value, as_tuple(use_awaitable));
    if (!ec) co_return true;
    if (ec == nats_asio::errc::permission_denied) {  // retrying cannot help
      log_.error("cannot store config " + key + ": " + ec.message());
      co_return false;
    }
    log_.warn("cannot store config " + key + " (attempt " + std::to_string(attempt) +
              "): " + ec.message());
    if (attempt == 5) co_return false;
    co_await pause(500ms);
  }
}

asio::awaitable<void> sensor_runtime::measure_loop() {
  if (options_.phase > 0) {
    tick_.expires_at(options_.phase_origin + std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 state_.config.interval * options_.phase));
    co_await tick_.async_wait(as_tuple(use_awaitable));
  }
  while (!stopping_) {
    co_await ctx_.publisher.wait_for_room();
    if (stopping_) break;
    iot::measurement m;
    m.lecture_id = probe_.next_lecture_id();
    m.sensor_id = options_.sensor_id;
    m.value = probe_.read();
    m.lecture = format_value(m.value);
    m.seq = ++seq_;
    m.timestamp = iot::clock::now();
    m.unit = simulated_probe::unit;
    const auto taken = std::chrono::steady_clock::now();
    state_.history.remember(m);
    ++summary_.published;
    ctx_.publisher.publish(measurements_subject_, m, on_stored_);
    // Wait one interval from this measurement; a config change cancels the
    // wait and the new interval counts from the same moment.
    while (!stopping_) {
      tick_.expires_at(taken + state_.config.interval);
      auto [ec] = co_await tick_.async_wait(as_tuple(use_awaitable));
      if (!ec) break;
    }
  }
}

asio::awaitable<void> sensor_runtime::command_loop() {
  while (!stopping_) {
    auto [ec, msg] = co_await commands_->async_receive(
        asio::bind_cancellation_slot(stop_receiving_.slot(), as_tuple(use_awaitable)));
    if (ec) {
      if (!stopping_) log_.error("command consumer ended: " + ec.message());
      co_return;
    }
    co_await handle(msg);
  }
}

asio::awaitable<void> sensor_runtime::apply_in_order(nats_asio::js_message msg) {
  for (;;) {
    const auto outcome = co_await handle(msg);
    if (outcome != iot::command_outcome::retry_later &&
        outcome != iot::command_outcome::left_for_redelivery)
      co_return;
    if (stopping_) co_return;                                 // redelivered after ack_wait
    co_await msg.async_in_progress(as_tuple(use_awaitable));  // still ours: not redelivered
    asio::steady_timer wait(co_await asio::this_coro::executor, command_retry_pause);
    retry_pause_ = &wait;
    co_await wait.async_wait(as_tuple(use_awaitable));
    retry_pause_ = nullptr;
    if (stopping_) co_return;
  }
}

asio::awaitable<iot::command_outcome> sensor_runtime::handle(nats_asio::js_message& msg) {
  const auto& meta = msg.metadata();
  iot::received_command received;
  received.subject = msg.subject();
  received.stream = meta.stream;
  received.consumer = meta.consumer;
  received.stream_sequence = meta.stream_sequence;
  received.read_back_from = apps::read_back_origin(msg.msg());
  received.payload = msg.payload();
  received.received_at = iot::clock::now();
  iot::command_fsm fsm(options_.sensor_id, ctx_.settings.names.commands_stream,
                       std::move(received));
  for (auto action = fsm.resume(state_); action.kind != iot::command_action_kind::done;) {
    const bool succeeded = co_await perform(action, fsm, msg);
    action = fsm.resume(state_, succeeded);
  }
  switch (fsm.outcome()) {
    case iot::command_outcome::applied:
      ++summary_.applied;
      if (fsm.corrected()) ++summary_.corrected;
      break;
    case iot::command_outcome::rejected:
      ++summary_.rejected;
      break;
    default:
      break;
  }
  co_return fsm.outcome();
}

asio::awaitable<bool> sensor_runtime::perform(const iot::command_action& action,
                                              const iot::command_fsm& fsm,
                                              nats_asio::js_message& msg) {
  using kind = iot::command_action_kind;
  switch (action.kind) {
    case kind::log:
      switch (action.severity) {
        case iot::log_severity::error:
          log_.error(action.text);
          break;
        case iot::log_severity::warn:
          log_.warn(action.text);
          break;
        case iot::log_severity::info:
          log_.info(action.text);
          break;
      }
      co_return true;
    case kind::store_config:
      co_return co_await store_config(action.config);
    case kind::publish_correction:
      ++summary_.published;
      co_return co_await ctx_.publisher.publish_and_wait(measurements_subject_, action.correction,
                                                         on_stored_);
    case kind::publish_dead_letter: {
      nats_asio::publish_options po;
      po.msg_id = action.letter_id;
      auto [ec, ack] =
          co_await ctx_.js.async_publish(ctx_.settings.names.deadletter_of(options_.sensor_id),
                                         iot::encode(action.letter), po, as_tuple(use_awaitable));
      if (ec) log_.error("cannot store dead letter: " + ec.message());
      co_return !ec;
    }
    case kind::interval_changed:
      tick_.cancel();  // re-arm the pending wait with the new interval
      co_return true;
    case kind::announce:
      announce(action.result);
      co_return true;
    case kind::ack:
      if (options_.exit_before_ack && fsm.outcome() == iot::command_outcome::applied) {
        log_.error("fault injection: exiting before acknowledging command " + fsm.command_id());
        std::_Exit(86);
      }
      co_await msg.async_ack(as_tuple(use_awaitable));
      co_return true;
    case kind::nak:
      if (in_fleet()) co_return true;  // apply_in_order() tries again
      co_await msg.async_nak(action.redeliver_after, as_tuple(use_awaitable));
      co_return true;
    case kind::term:
      co_await msg.async_term(as_tuple(use_awaitable));
      co_return true;
    case kind::done:
      break;
  }
  co_return true;
}

void sensor_runtime::announce(const iot::command_result& result) {
  if (auto ec =
          ctx_.conn.publish(ctx_.settings.names.events_of(options_.sensor_id), iot::encode(result)))
    log_.warn("cannot publish command result: " + ec.message());
}

void sensor_runtime::write_history(std::ostream& out) const {
  state_.history.for_each([&](const iot::measurement& m) { out << iot::encode(m) << '\n'; });
}

}  // namespace sensor
