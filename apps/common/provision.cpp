#include "provision.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "iot/sensor_id.hpp"

namespace apps {

using boost::asio::as_tuple;
using boost::asio::use_awaitable;
using namespace std::chrono_literals;

namespace {

// The server's text says what failed and why; the error code's message is
// only a fallback, as it says the same in fewer words.
std::string with_server_text(const std::string& what, const nats_asio::error_code& ec,
                             const nats_asio::diagnostics& diag) {
  const auto& text = diag.server_message();
  if (text.empty()) return what + ": " + ec.message();
  return text.starts_with(what) ? text : what + ": " + text;  // the library may name it already
}

// After a permission_denied from provisioning `stream` (described as
// `what`): fine if the stream is there, an error if it is not.
boost::asio::awaitable<bool> accept_provisioned(nats_asio::jetstream& js, const std::string& what,
                                                const std::string& stream,
                                                const nats_asio::diagnostics& diag,
                                                start_retry& retry, std::string& error,
                                                std::vector<std::string>& warnings) {
  auto [ec, info] = co_await retry.run(
      what, [&] { return js.async_stream_info(stream, as_tuple(use_awaitable)); });
  if (!ec) {
    warnings.push_back(what + " is used as the admin provisioned it: " + diag.server_message());
    co_return true;
  }
  if (ec == nats_asio::errc::permission_denied) {
    warnings.push_back(
        what + " not checked, assuming the admin has provisioned it: " + diag.server_message());
    co_return true;
  }
  if (ec == nats_asio::make_jetstream_error(nats_asio::js_err::stream_not_found)) {
    error = what +
            " does not exist and this identity may not create it: provision it with an admin "
            "identity (iot-sim provision)";
    co_return false;
  }
  error = with_server_text(what, ec, diag) + retry.gave_up_note();
  co_return false;
}

boost::asio::awaitable<bool> ensure(nats_asio::jetstream& js, const nats_asio::stream_config& cfg,
                                    start_retry& retry, std::string& error,
                                    std::vector<std::string>& warnings) {
  nats_asio::diagnostics diag;
  const auto what = "stream " + cfg.name;
  auto [ec, info] = co_await retry.run(what, [&] {
    diag.clear();
    return js.async_ensure_stream(cfg, diag, as_tuple(use_awaitable));
  });
  if (!ec) co_return true;
  if (ec == nats_asio::errc::permission_denied)
    co_return co_await accept_provisioned(js, what, cfg.name, diag, retry, error, warnings);
  error = with_server_text(what, ec, diag) + retry.gave_up_note();
  co_return false;
}

}  // namespace

boost::asio::awaitable<std::optional<provisioned>> provision(nats_asio::jetstream& js,
                                                             const app_settings& s,
                                                             start_retry& retry,
                                                             std::string& error) {
  const auto& n = s.names;
  std::vector<std::string> warnings;
  nats_asio::stream_config measurements;
  measurements.name = n.measurements_stream;
  measurements.subjects = {n.measurements_subject + ".>"};
  measurements.max_age = s.measurements_max_age;
  measurements.max_bytes = s.measurements_max_bytes;
  measurements.duplicate_window = s.duplicate_window;
  measurements.replicas = s.replicas;
  if (!co_await ensure(js, measurements, retry, error, warnings)) co_return std::nullopt;

  nats_asio::stream_config commands;
  commands.name = n.commands_stream;
  commands.subjects = {n.commands_subject + ".>"};
  commands.retention = nats_asio::retention_policy::work_queue;
  commands.replicas = s.replicas;
  if (!co_await ensure(js, commands, retry, error, warnings)) co_return std::nullopt;

  nats_asio::stream_config deadletter;
  deadletter.name = n.deadletter_stream;
  deadletter.subjects = {n.deadletter_subject + ".>"};
  deadletter.replicas = s.replicas;
  if (!co_await ensure(js, deadletter, retry, error, warnings)) co_return std::nullopt;

  nats_asio::kv_config bucket;
  bucket.bucket = n.config_bucket;
  bucket.history = 5;
  bucket.replicas = s.replicas;
  nats_asio::diagnostics diag;
  const auto what = "bucket " + n.config_bucket;
  auto [ec, kv] = co_await retry.run(what, [&] {
    diag.clear();
    return nats_asio::async_create_key_value(js, bucket, diag, as_tuple(use_awaitable));
  });
  if (ec == nats_asio::errc::permission_denied) {
    if (!co_await accept_provisioned(js, what, "KV_" + n.config_bucket, diag, retry, error,
                                     warnings))
      co_return std::nullopt;
    kv = nats_asio::kv_bucket(js, n.config_bucket);
  } else if (ec) {
    error = with_server_text(what, ec, diag) + retry.gave_up_note();
    co_return std::nullopt;
  }
  co_return provisioned{std::move(kv), std::move(warnings)};
}

nats_asio::consumer_config command_consumer_config(const app_settings& s,
                                                   std::string_view sensor_id) {
  const auto& names = s.names;
  nats_asio::consumer_config cc;
  cc.durable_name = iot::wire_names::command_consumer(sensor_id);
  cc.filter_subject = names.command_filter(sensor_id);
  cc.deliver_subject = iot::wire_names::command_deliver_subject(sensor_id);
  cc.ack_wait = s.command_ack_wait;
  // A sensor applies its commands one at a time, in order. A fleet's
  // process does so for each member and keeps other members' commands
  // moving meanwhile (fleet_commands.hpp).
  cc.max_ack_pending = iot::fleet_of(sensor_id).empty() ? 1 : fleet_commands_in_flight;
  cc.idle_heartbeat = 5s;
  return cc;
}

namespace {

// After the stream refused `cc` because another consumer's filter overlaps
// it: the line naming that consumer (or why it could not be found).
boost::asio::awaitable<std::string> name_overlapping_consumer(
    nats_asio::jetstream& js, const std::string& stream, const nats_asio::consumer_config& cc) {
  auto [ec, consumers] = co_await js.async_list_consumers(stream, as_tuple(use_awaitable));
  if (ec) co_return "; its consumers could not be listed: " + ec.message();
  std::string found;
  for (const auto& other : consumers) {
    if (other.name == cc.durable_name) continue;
    if (!subjects_overlap(other.config.filter_subject, cc.filter_subject)) continue;
    const auto& filter = other.config.filter_subject;
    found += (found.empty() ? "" : ", ") + std::string("consumer ") + other.name + " (filter " +
             (filter.empty() ? std::string("none: every subject") : filter) + ")";
  }
  if (found.empty()) co_return "; no consumer with an overlapping filter is left";
  co_return "; already taking " + cc.filter_subject + ": " + found +
      " (delete it, or change its filter, to provision " + cc.durable_name + ")";
}

}  // namespace

bool subjects_overlap(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return true;  // no filter: every subject
  auto next = [](std::string_view& s) {
    const auto dot = s.find('.');
    auto token = s.substr(0, dot);
    s = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
    return token;
  };
  bool a_left = true, b_left = true;
  while (a_left && b_left) {
    const auto ta = next(a), tb = next(b);
    if (ta == ">" || tb == ">") return true;  // each has at least this token
    if (ta != "*" && tb != "*" && ta != tb) return false;
    a_left = !a.empty();
    b_left = !b.empty();
  }
  return a_left == b_left;
}

boost::asio::awaitable<bool> ensure_command_consumer(nats_asio::jetstream& js,
                                                     const app_settings& s,
                                                     const std::string& sensor_id,
                                                     start_retry& retry, std::string& error) {
  const auto cc = command_consumer_config(s, sensor_id);
  nats_asio::diagnostics diag;
  const auto what = "consumer " + cc.durable_name + " on " + s.names.commands_stream;
  auto [ec, info] = co_await retry.run(what, [&] {
    diag.clear();
    return js.async_ensure_consumer(s.names.commands_stream, cc, diag, as_tuple(use_awaitable));
  });
  if (!ec) co_return true;
  if (ec == nats_asio::make_jetstream_error(nats_asio::js_err::consumer_filter_not_unique)) {
    error = what + ": " + ec.message() +
            co_await name_overlapping_consumer(js, s.names.commands_stream, cc);
    co_return false;
  }
  error = with_server_text(what, ec, diag) + retry.gave_up_note();
  co_return false;
}

boost::asio::awaitable<std::optional<provisioned>> connect_and_provision(
    nats_asio::connection& conn, std::optional<nats_asio::jetstream>& js, const app_settings& s,
    const logger& log, const bool& stopping, boost::asio::steady_timer& pause) {
  auto [ec, detail] = co_await conn.async_connect(s.connect, as_tuple(use_awaitable));
  if (ec) {
    log.error(connect_failure(s, ec, detail));
    co_return std::nullopt;
  }
  js.emplace(conn);
  start_retry retry(s.start_timeout, log, log_level::info, stopping, pause);
  std::string error;
  auto assets = co_await provision(*js, s, retry, error);
  if (!assets) {
    if (!stopping) log.error(error);
    co_return std::nullopt;
  }
  for (const auto& warning : assets->warnings) log.warn(warning);
  co_return assets;
}

}  // namespace apps
