#include "sensor.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <sstream>

#include "../common/provision.hpp"
#include "iot/command_result.hpp"
#include "iot/dead_letter.hpp"
#include "iot/duration.hpp"

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
      history_(options_.history, options_.sensor_id, simulated_probe::unit),
      probe_(options_.seed),
      tick_(ctx_.js.get_executor()) {}

void sensor_runtime::stop() {
  if (stopping_) return;
  stopping_ = true;
  tick_.cancel();
  stop_receiving_.emit(asio::cancellation_type::terminal);
}

asio::awaitable<bool> sensor_runtime::start() {
  // The stored config survives restarts; a --interval flag overrides it.
  const auto key = iot::wire_names::config_key(options_.sensor_id);
  auto [gec, entry] = co_await ctx_.kv.async_get(key, as_tuple(use_awaitable));
  iot::sensor_config stored;
  if (!gec && iot::decode_sensor_config(entry.value, stored).empty()) {
    config_ = stored;
  } else if (!gec) {
    log_.warn("stored config under " + key + " is not valid JSON of schema 1; replacing it");
  }
  config_.schema = 1;
  config_.sensor_id = options_.sensor_id;
  if (options_.interval) config_.interval = *options_.interval;
  if (!co_await store_config()) co_return false;

  const auto& names = ctx_.settings.names;
  const auto cc = apps::command_consumer_config(ctx_.settings, options_.sensor_id);
  auto [sec, commands] =
      co_await ctx_.js.async_subscribe(names.commands_stream, cc, 16, as_tuple(use_awaitable));
  if (sec == nats_asio::errc::permission_denied) {
    log_.error("cannot consume commands from " + names.commands_stream + ": consumer " +
               cc.durable_name + " is missing or differs, or " + cc.deliver_subject +
               " is not this identity's, and it may not fix that (" + sec.message() +
               "); provision it with an admin identity: iot-sim provision --sensorID " +
               options_.sensor_id);
    co_return false;
  }
  if (sec) {
    log_.error("cannot consume commands from " + names.commands_stream + ": " + sec.message());
    co_return false;
  }
  commands_ = std::move(commands);
  log_.at(detail_level(), "started: interval " + iot::format_duration(config_.interval) +
                              ", measurements on " + measurements_subject_ + ", commands from " +
                              names.commands_of(options_.sensor_id));
  co_return true;
}

asio::awaitable<bool> sensor_runtime::store_config() {
  config_.updated_at = iot::clock::now();
  const auto key = iot::wire_names::config_key(options_.sensor_id);
  for (int attempt = 1;; ++attempt) {
    auto [ec, rev] = co_await ctx_.kv.async_put(key, iot::encode(config_), as_tuple(use_awaitable));
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
    tick_.expires_after(
        std::chrono::duration_cast<std::chrono::milliseconds>(config_.interval * options_.phase));
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
    history_.remember(m);
    ++summary_.published;
    ctx_.publisher.publish(measurements_subject_, m, on_stored_);
    // Wait one interval from this measurement; a config change cancels the
    // wait and the new interval counts from the same moment.
    while (!stopping_) {
      tick_.expires_at(taken + config_.interval);
      auto [ec] = co_await tick_.async_wait(as_tuple(use_awaitable));
      if (!ec) break;
    }
  }
}

asio::awaitable<void> sensor_runtime::command_loop() {
  while (!stopping_) {
    auto [ec, msg] = co_await commands_.async_receive(
        asio::bind_cancellation_slot(stop_receiving_.slot(), as_tuple(use_awaitable)));
    if (ec) {
      if (!stopping_) log_.error("command consumer ended: " + ec.message());
      co_return;
    }
    co_await handle(std::move(msg));
  }
}

asio::awaitable<void> sensor_runtime::handle(nats_asio::js_message msg) {
  // Server permissions cannot restrict reply subjects, so another identity
  // can have the server deliver a reply (such as its own config, read back)
  // onto this sensor's deliver subject, or store one on its command subject.
  // The first lacks this consumer's metadata; the second carries the
  // Nats-Stream header of a read-back, which no published command has.
  const auto& meta = msg.metadata();
  if (meta.stream != ctx_.settings.names.commands_stream ||
      meta.consumer != iot::wire_names::command_consumer(options_.sensor_id)) {
    log_.warn("ignored a message on " + msg.subject() + " that did not come from consumer " +
              iot::wire_names::command_consumer(options_.sensor_id));
    co_return;
  }
  if (auto origin = msg.msg().header("Nats-Stream")) {
    co_await reject(msg, "",
                    "not a command: a message read back from stream " + std::string(*origin) +
                        " and stored here through a reply subject",
                    true);
    co_return;
  }
  iot::command cmd;
  if (auto reason = iot::decode_command(msg.payload(), cmd); !reason.empty()) {
    co_await reject(msg, "", reason, true);
    co_return;
  }
  if (!cmd.command_uuid.empty() && cmd.command_uuid == config_.last_command_id) {
    // Applied before a crash that came ahead of the ack: do not apply twice.
    log_.info("command " + cmd.command_uuid + " was already applied; acknowledging");
    co_await msg.async_ack(as_tuple(use_awaitable));
    co_return;
  }
  co_await apply(cmd, msg);
}

asio::awaitable<void> sensor_runtime::apply(const iot::command& cmd, nats_asio::js_message& msg) {
  if (cmd.kind == iot::command_kind::update_config) {
    const auto old = config_.interval;
    config_.interval = cmd.new_interval;
    config_.last_command_id = cmd.command_uuid;
    if (!co_await store_config()) {
      config_.interval = old;
      co_await msg.async_nak(1s, as_tuple(use_awaitable));  // try again later
      co_return;
    }
    tick_.cancel();  // re-arm the pending wait with the new interval
    log_.info("interval " + iot::format_duration(old) + " -> " +
              iot::format_duration(config_.interval) + " (command " + cmd.command_uuid + ")");
  } else {
    const auto original = history_.find(cmd.metric_id);
    if (!original) {
      co_await reject(
          msg, cmd.command_uuid,
          "lecture_id " + std::to_string(cmd.metric_id) + " is unknown or no longer in the history",
          false);
      co_return;
    }
    iot::measurement corrected = *original;
    corrected.lecture = cmd.new_measurement_value;
    corrected.revision = original->revision + 1;
    double v = 0;
    const auto& text = cmd.new_measurement_value;
    if (std::from_chars(text.data(), text.data() + text.size(), v).ptr == text.data() + text.size())
      corrected.value = v;
    history_.remember(corrected);
    ++summary_.published;
    if (!co_await ctx_.publisher.publish_and_wait(measurements_subject_, corrected, on_stored_))
      co_return;  // redelivered later
    ++summary_.corrected;
    config_.last_command_id = cmd.command_uuid;
    co_await store_config();
  }
  ++summary_.applied;
  report(cmd.command_uuid, true, "");
  if (options_.exit_before_ack) {
    log_.error("fault injection: exiting before acknowledging command " + cmd.command_uuid);
    std::_Exit(86);
  }
  co_await msg.async_ack(as_tuple(use_awaitable));
}

asio::awaitable<void> sensor_runtime::reject(nats_asio::js_message& msg, const std::string& uuid,
                                             const std::string& reason, bool dead_letter) {
  ++summary_.rejected;
  log_.warn("rejected command" + (uuid.empty() ? std::string() : " " + uuid) + ": " + reason);
  if (dead_letter) {
    iot::dead_letter letter;
    letter.sensor_id = options_.sensor_id;
    letter.subject = msg.subject();
    letter.stream_sequence = msg.metadata().stream_sequence;
    letter.reason = reason;
    letter.payload = msg.payload();
    letter.received_at = iot::clock::now();
    nats_asio::publish_options po;
    po.msg_id = options_.sensor_id + ":dl:" + std::to_string(msg.metadata().stream_sequence);
    auto [ec, ack] =
        co_await ctx_.js.async_publish(ctx_.settings.names.deadletter_of(options_.sensor_id),
                                       iot::encode(letter), po, as_tuple(use_awaitable));
    if (ec) {
      // Keep the command: it comes back after ack_wait and is dead-lettered then.
      log_.error("cannot store dead letter: " + ec.message() + "; command kept for redelivery");
      co_return;
    }
  }
  report(uuid, false, reason);
  co_await msg.async_term(as_tuple(use_awaitable));
}

void sensor_runtime::report(const std::string& uuid, bool applied, const std::string& error) {
  iot::command_result r;
  r.command_uuid = uuid;
  r.sensor_id = options_.sensor_id;
  r.applied = applied;
  r.error = error;
  if (applied) r.config = config_;
  if (auto ec =
          ctx_.conn.publish(ctx_.settings.names.events_of(options_.sensor_id), iot::encode(r)))
    log_.warn("cannot publish command result: " + ec.message());
}

void sensor_runtime::write_history(std::ostream& out) const {
  history_.for_each([&](const iot::measurement& m) { out << iot::encode(m) << '\n'; });
}

}  // namespace sensor
