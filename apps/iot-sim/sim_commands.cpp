#include "sim_commands.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <iomanip>
#include <iostream>
#include <vector>

#include "../common/command_send.hpp"
#include "../common/provision.hpp"
#include "../common/read_back.hpp"
#include "iot/command.hpp"
#include "iot/command_result.hpp"
#include "iot/duration.hpp"
#include "iot/measurement.hpp"
#include "iot/sensor_config.hpp"
#include "iot/sensor_id.hpp"
#include "nats_asio/connection.hpp"
#include "nats_asio/jetstream.hpp"
#include "nats_asio/kv_bucket.hpp"

namespace sim {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::awaitable;
using asio::use_awaitable;
using namespace std::chrono_literals;

int fail(int code, const std::string& text) {
  std::cerr << "iot-sim: " << text << '\n';
  return code;
}

awaitable<std::optional<nats_asio::connection>> connect(const apps::app_settings& s) {
  nats_asio::connection conn(co_await asio::this_coro::executor);
  auto options = s.connect;
  options.send_asap = true;  // a person is waiting on each round trip
  options.max_reconnect_attempts = 0;
  auto [ec, detail] = co_await conn.async_connect(options, as_tuple(use_awaitable));
  if (ec) {
    fail(exit_code::failure, apps::connect_failure(s, ec, detail));
    co_return std::nullopt;
  }
  co_return std::optional<nats_asio::connection>(std::move(conn));
}

namespace {

// How long a subcommand other than provision keeps retrying a step while a
// cluster elects a stream leader (a few seconds after a node dies; requests
// meanwhile time out or find no responders).
constexpr auto election_patience = 15s;

// Retries of transient failures (apps::start_retry), their waits logged on
// stderr.
class sim_retry {
 public:
  sim_retry(asio::any_io_executor ex, std::chrono::milliseconds timeout)
      : pause_(ex), retry_(timeout, log_, apps::log_level::info, stopping_, pause_) {}
  // Ends the retries when `stop` (Ctrl+C) is emitted, for this object's lifetime.
  sim_retry(asio::any_io_executor ex, std::chrono::milliseconds timeout,
            asio::cancellation_signal& stop)
      : sim_retry(ex, timeout) {
    stop_ = &stop;
    stop.slot().assign([this](asio::cancellation_type) {
      stopping_ = true;
      pause_.cancel();
    });
  }
  ~sim_retry() {
    if (stop_) stop_->slot().clear();
  }
  sim_retry(const sim_retry&) = delete;
  sim_retry& operator=(const sim_retry&) = delete;
  apps::start_retry& retry() { return retry_; }

 private:
  apps::logger log_{"iot-sim", apps::log_level::info};
  bool stopping_ = false;
  asio::steady_timer pause_;
  asio::cancellation_signal* stop_ = nullptr;
  apps::start_retry retry_;
};

// The sensor's stored config; `code` says why there is none.
awaitable<std::optional<iot::sensor_config>> find_sensor(nats_asio::jetstream& js,
                                                         const apps::app_settings& s,
                                                         const std::string& sensor_id, int& code) {
  sim_retry r(js.get_executor(), election_patience);
  r.retry().name_limit("");
  auto [oec, kv] = co_await r.retry().run("bucket " + s.names.config_bucket, [&] {
    return nats_asio::async_open_key_value(js, s.names.config_bucket, as_tuple(use_awaitable));
  });
  if (oec == nats_asio::errc::bucket_not_found) {
    code = fail(exit_code::unknown_sensor, "unknown sensor " + sensor_id + ": bucket " +
                                               s.names.config_bucket +
                                               " does not exist (no sensor has started yet)");
    co_return std::nullopt;
  }
  if (oec) {
    code = fail(exit_code::failure, "bucket " + s.names.config_bucket + ": " + oec.message());
    co_return std::nullopt;
  }
  const auto key = iot::wire_names::config_key(sensor_id);
  auto [gec, entry] = co_await r.retry().run(
      "config " + key, [&] { return kv.async_get(key, as_tuple(use_awaitable)); });
  if (gec == nats_asio::errc::key_not_found) {
    code = fail(exit_code::unknown_sensor, "unknown sensor " + sensor_id + ": no " + key +
                                               " in bucket " + s.names.config_bucket);
    co_return std::nullopt;
  }
  if (gec) {
    code = fail(exit_code::failure, "reading " + key + ": " + gec.message());
    co_return std::nullopt;
  }
  iot::sensor_config config;
  if (auto e = iot::decode_sensor_config(entry.value, config); !e.empty()) {
    code = fail(exit_code::failure, key + " holds an invalid config: " + e);
    co_return std::nullopt;
  }
  co_return config;
}

void print_measurement(const iot::measurement& m) {
  std::cout << m.sensor_id << " seq=" << m.seq << " lecture_id=" << m.lecture_id << ' ' << m.lecture
            << ' ' << m.unit << ' ' << iot::format_rfc3339(m.timestamp);
  if (m.revision > 1) std::cout << " [correction, revision " << m.revision << ']';
  std::cout << std::endl;
}

// No result came within `timeout`: whether the command still waits in the
// work queue tells an offline sensor from one that took the command and said
// nothing.
awaitable<int> report_unanswered(nats_asio::jetstream& js, const apps::app_settings& s,
                                 const std::string& sensor_id, const std::string& command_uuid,
                                 std::uint64_t sequence, std::chrono::milliseconds timeout) {
  const auto& stream = s.names.commands_stream;
  std::string detail;
  const auto where = co_await apps::find_unanswered(js, s.names, sequence, detail);
  if (where == apps::unanswered_command::taken) {
    std::cout << "no result: sensor " << sensor_id << " took command " << command_uuid << " from "
              << stream << " but reported no result within " << iot::format_duration(timeout)
              << "; see its log, or get_config, for what it did" << std::endl;
    co_return exit_code::taken_no_result;
  }
  std::cout << "not confirmed: command " << command_uuid;
  if (where == apps::unanswered_command::unknown)
    std::cout << " was stored in " << stream
              << " (whether it still waits there is unknown: " << detail << ')';
  else
    std::cout << " is queued in " << stream;
  std::cout << "; sensor " << sensor_id << " has not answered within "
            << iot::format_duration(timeout) << " (offline?) and will apply it when it runs"
            << std::endl;
  co_return exit_code::not_confirmed;
}

// Base64 (RFC 4648) of bytes that are not text.
std::string base64(std::string_view bytes) {
  static constexpr char digits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (unsigned char byte : bytes) {
    bits = (bits << 8) | byte;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out.push_back(digits[(bits >> count) & 0x3F]);
    }
  }
  if (count > 0) out.push_back(digits[(bits << (6 - count)) & 0x3F]);
  while (out.size() % 4 != 0) out.push_back('=');
  return out;
}

// The --json line for a message that is not a complete schema 1
// measurement: why, where, and the payload as it came (a JSON value when it
// is JSON, else a string, else base64), never a value made up for it.
std::string not_schema_1_json(const nats_asio::js_message& msg, const std::string& reason) {
  boost::json::object o;
  o["not_schema_1"] = reason;
  o["subject"] = msg.subject();
  o["stream_sequence"] = msg.metadata().stream_sequence;
  boost::system::error_code ec;
  auto parsed = boost::json::parse(msg.payload(), ec);
  if (!ec) {
    o["payload"] = std::move(parsed);
  } else {
    // A JSON string holds only UTF-8: serialized text parses back only then.
    auto text = boost::json::serialize(boost::json::value(msg.payload()));
    boost::json::parse(text, ec);
    if (!ec)
      o["payload"] = msg.payload();
    else
      o["payload_base64"] = base64(msg.payload());
  }
  return boost::json::serialize(o);
}

// Sends `cmd` to the sensor's command stream and waits for its result.
awaitable<int> send_command(const apps::app_settings& s, const std::string& sensor_id,
                            iot::command cmd, std::chrono::milliseconds timeout) {
  auto conn = co_await connect(s);
  if (!conn) co_return exit_code::failure;
  nats_asio::jetstream js(*conn);
  int code = 0;
  if (!co_await find_sensor(js, s, sensor_id, code)) co_return code;

  // Listen before sending, so a fast answer cannot be missed.
  auto results = conn->subscribe(s.names.events_of(sensor_id));
  cmd.command_uuid = iot::new_uuid();
  cmd.issued_at = iot::clock::now();
  const auto sent = std::chrono::steady_clock::now();
  sim_retry r(js.get_executor(), timeout);
  r.retry().name_limit("--timeout");
  std::string error;
  const auto sequence =
      co_await apps::publish_command(js, s.names, sensor_id, cmd, r.retry(), error);
  if (!sequence) co_return fail(exit_code::failure, error);

  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer deadline(co_await asio::this_coro::executor, timeout);
  for (;;) {
    auto outcome = co_await (results.async_receive(as_tuple(use_awaitable)) ||
                             deadline.async_wait(as_tuple(use_awaitable)));
    if (outcome.index() == 1)
      co_return co_await report_unanswered(js, s, sensor_id, cmd.command_uuid, *sequence, timeout);
    auto [rec, msg] = std::get<0>(outcome);
    if (rec == nats_asio::errc::queue_overflow) continue;  // others' results, not awaited
    if (rec) co_return fail(exit_code::failure, "waiting for the result: " + rec.message());
    iot::command_result result;
    if (!iot::decode_command_result(msg.payload, result).empty()) continue;
    if (result.command_uuid != cmd.command_uuid) continue;  // someone else's command
    const auto rtt = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - sent);
    if (!result.applied) {
      std::cout << "rejected by " << sensor_id << ": " << result.error << std::endl;
      co_return exit_code::rejected;
    }
    std::cout << "applied by " << sensor_id << " in " << std::fixed << std::setprecision(1)
              << rtt.count() / 1000.0 << " ms";
    if (result.config)
      std::cout << "; interval now " << iot::format_duration(result.config->interval);
    std::cout << std::endl;
    co_return exit_code::ok;
  }
}

}  // namespace

awaitable<int> run_subscribe(const apps::app_settings& s, subscribe_args args,
                             asio::cancellation_signal& stop) {
  std::uint64_t last_n = 0;
  nats_asio::consumer_config cc;
  cc.filter_subject = s.names.measurements_of(args.sensor_id);
  cc.ack = nats_asio::ack_policy::none;
  cc.idle_heartbeat = 5s;
  cc.flow_control = true;
  cc.memory_storage = true;
  cc.inactive_threshold = 30s;
  if (args.from == "new") {
    cc.deliver = nats_asio::deliver_policy::new_only;
  } else if (args.from == "all") {
    cc.deliver = nats_asio::deliver_policy::all;
  } else if (args.from.starts_with("last:")) {
    try {
      std::size_t used = 0;
      last_n = std::stoull(args.from.substr(5), &used);
      if (used != args.from.size() - 5 || last_n == 0) throw std::invalid_argument(args.from);
    } catch (const std::exception&) {
      co_return fail(exit_code::usage, "--from: expected new, all or last:N with N >= 1");
    }
    cc.deliver = nats_asio::deliver_policy::all;
  } else {
    co_return fail(exit_code::usage, "--from: expected new, all or last:N with N >= 1");
  }

  auto conn = co_await connect(s);
  if (!conn) co_return exit_code::failure;
  nats_asio::jetstream js(*conn);
  auto [sec, sub] =
      co_await js.async_subscribe(s.names.measurements_stream, cc, 4096, as_tuple(use_awaitable));
  if (sec == nats_asio::make_jetstream_error(nats_asio::js_err::stream_not_found))
    co_return fail(exit_code::unknown_sensor, "stream " + s.names.measurements_stream +
                                                  " does not exist (no sensor has started yet)");
  if (sec) co_return fail(exit_code::failure, "subscribing: " + sec.message());
  // With last:N, skip what comes before the last N stored measurements.
  std::uint64_t skip =
      last_n && sub.info().num_pending > last_n ? sub.info().num_pending - last_n : 0;
  // Asked after subscribing, so that nothing published meanwhile is missed.
  auto [lec, last] = co_await js.async_get_last_message(s.names.measurements_stream,
                                                        cc.filter_subject, as_tuple(use_awaitable));
  if (lec == nats_asio::make_jetstream_error(nats_asio::js_err::message_not_found))
    std::cerr << "iot-sim: no measurement of sensor " << args.sensor_id << " is stored in "
              << s.names.measurements_stream << " yet; waiting for its first" << std::endl;
  std::uint64_t shown = 0;
  while (!args.count || shown < *args.count) {
    auto [ec, msg] = co_await sub.async_receive(
        asio::bind_cancellation_slot(stop.slot(), as_tuple(use_awaitable)));
    if (ec == asio::error::operation_aborted) break;  // Ctrl+C
    if (ec == nats_asio::errc::queue_overflow) {
      // This reader fell behind; with no acks, the server does not resend.
      std::cerr << "iot-sim: missed " << sub.last_gap()
                << " measurements here (printing could not keep up)" << std::endl;
      continue;
    }
    if (ec) co_return fail(exit_code::failure, "subscription ended: " + ec.message());
    if (skip > 0) {
      --skip;
      continue;
    }
    if (auto origin = apps::read_back_origin(msg.msg())) {
      // Not published by a sensor: a reply someone had the server deliver
      // onto this subject (permissions cannot restrict reply subjects).
      std::cerr << "iot-sim: ignored a message on " << msg.subject() << " read back from stream "
                << *origin << std::endl;
      continue;
    }
    ++shown;
    iot::measurement m;
    const auto invalid = iot::decode_complete_measurement(msg.payload(), m);
    if (args.json) {
      std::cout << (invalid.empty() ? msg.payload() : not_schema_1_json(msg, invalid)) << std::endl;
      continue;
    }
    if (!invalid.empty()) {
      std::cout << "(not a schema 1 measurement: " << msg.subject() << ", stream sequence "
                << msg.metadata().stream_sequence << ": " << invalid << ")" << std::endl;
      continue;
    }
    print_measurement(m);
  }
  sub.unsubscribe();  // deletes the ephemeral consumer
  co_await conn->async_drain(2s, as_tuple(use_awaitable));
  co_return exit_code::ok;
}

awaitable<int> run_get_config(const apps::app_settings& s, std::string sensor_id, bool json) {
  auto conn = co_await connect(s);
  if (!conn) co_return exit_code::failure;
  nats_asio::jetstream js(*conn);
  int code = 0;
  auto config = co_await find_sensor(js, s, sensor_id, code);
  if (!config) co_return code;
  if (json) {
    std::cout << iot::encode(*config) << std::endl;
  } else {
    std::cout << "sensor " << config->sensor_id << ": interval "
              << iot::format_duration(config->interval) << ", updated "
              << iot::format_rfc3339(config->updated_at) << ", last command "
              << (config->last_command_id.empty() ? "none" : config->last_command_id) << std::endl;
  }
  co_return exit_code::ok;
}

awaitable<int> run_edit_config(const apps::app_settings& s, command_args args) {
  iot::command cmd;
  cmd.kind = iot::command_kind::update_config;
  cmd.new_interval = args.interval;
  co_return co_await send_command(s, args.sensor_id, std::move(cmd), args.timeout);
}

awaitable<int> run_edit_measurement(const apps::app_settings& s, command_args args) {
  iot::command cmd;
  cmd.kind = iot::command_kind::edit_measurement;
  cmd.metric_id = args.lecture_id;
  cmd.new_measurement_value = args.value;
  co_return co_await send_command(s, args.sensor_id, std::move(cmd), args.timeout);
}

awaitable<int> run_list(const apps::app_settings& s) {
  auto conn = co_await connect(s);
  if (!conn) co_return exit_code::failure;
  nats_asio::jetstream js(*conn);
  auto [oec, kv] =
      co_await nats_asio::async_open_key_value(js, s.names.config_bucket, as_tuple(use_awaitable));
  if (oec == nats_asio::errc::bucket_not_found) {
    std::cout << "no sensors (bucket " << s.names.config_bucket << " does not exist yet)"
              << std::endl;
    co_return exit_code::ok;
  }
  if (oec)
    co_return fail(exit_code::failure, "bucket " + s.names.config_bucket + ": " + oec.message());
  auto [kec, keys] = co_await kv.async_keys(as_tuple(use_awaitable));
  if (kec) co_return fail(exit_code::failure, "listing keys: " + kec.message());
  std::vector<std::string> ids;
  for (const auto& key : keys)
    if (key.ends_with(".config"))
      ids.push_back(key.substr(0, key.size() - std::string_view(".config").size()));
  std::sort(ids.begin(), ids.end(), iot::sensor_id_less);  // plant.2 before plant.10
  int listed = 0;
  for (const auto& id : ids) {
    const auto key = id + ".config";
    auto [gec, entry] = co_await kv.async_get(key, as_tuple(use_awaitable));
    if (gec == nats_asio::errc::key_not_found) continue;  // deleted since the listing
    ++listed;
    std::cout << std::left << std::setw(24) << id;
    iot::sensor_config c;
    if (gec) {
      std::cout << " unreadable: reading " << key << ": " << gec.message() << std::endl;
      continue;
    }
    if (auto e = iot::decode_sensor_config(entry.value, c); !e.empty()) {
      // Listed all the same: a sensor with a broken config still exists.
      std::cout << " invalid config: " << key << ": " << e << std::endl;
      continue;
    }
    std::cout << " interval " << std::setw(10) << iot::format_duration(c.interval) << " updated "
              << iot::format_rfc3339(c.updated_at) << std::endl;
  }
  if (listed == 0) std::cout << "no sensors" << std::endl;
  co_return exit_code::ok;
}

awaitable<int> run_provision(const apps::app_settings& s, std::vector<std::string> sensor_ids,
                             asio::cancellation_signal& stop) {
  auto conn = co_await connect(s);
  if (!conn) co_return exit_code::failure;
  nats_asio::jetstream js(*conn);
  // Clusters and their clients are often started together: wait for it.
  sim_retry r(js.get_executor(), s.start_timeout, stop);
  std::string error;
  auto assets = co_await apps::provision(js, s, r.retry(), error);
  if (!assets) co_return fail(exit_code::failure, error);
  // An identity that may not manage streams has nothing to provision with.
  if (!assets->warnings.empty())
    co_return fail(exit_code::failure, "not provisioned: " + assets->warnings.front());
  const auto& n = s.names;
  std::cout << "streams " << n.measurements_stream << ", " << n.commands_stream << ", "
            << n.deadletter_stream << " and bucket " << n.config_bucket << " are ready"
            << std::endl;
  for (const auto& id : sensor_ids) {
    if (!co_await apps::ensure_command_consumer(js, s, id, r.retry(), error))
      co_return fail(exit_code::failure, error);
    std::cout << "sensor " << id << ": consumer " << iot::wire_names::command_consumer(id)
              << " delivers to " << iot::wire_names::command_deliver_subject(id) << std::endl;
  }
  // Every request has had its answer: nothing to drain or close (see run_history).
  co_return exit_code::ok;
}

}  // namespace sim
