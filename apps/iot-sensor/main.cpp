// iot-sensor: a simulated sensor on NATS JetStream.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <iostream>

#include "../common/app_settings.hpp"
#include "../common/cli_parse.hpp"
#include "../common/logger.hpp"
#include "../common/run_program.hpp"
#include "fleet.hpp"
#include "http/listen_address.hpp"
#include "iot/duration.hpp"
#include "iot/sensor_id.hpp"
#include "iot/wire.hpp"

int main(int argc, char** argv) {
  CLI::App app{"iot-sensor: a simulated sensor publishing measurements to NATS JetStream"};
  std::string sensor_id, interval_text, grace_text = "5s", log_level = "info";
  std::optional<std::string> dump, metrics_listen;
  std::optional<std::size_t> count, history;
  std::size_t buffer = 10000;
  bool jitter = false, no_jitter = false, quiet = false, replace_config = false;
  apps::common_flags flags;
  app.add_option("--sensorID", sensor_id, "sensor id: 1-64 of A-Z a-z 0-9 _ -")->required();
  app.add_option("--count", count,
                 "run a fleet of N sensors <sensorID>.1 ... <sensorID>.N in this process, over one "
                 "connection and one command consumer")
      ->check(apps::whole_number);
  auto* jitter_flag =
      app.add_flag("--jitter", jitter,
                   "a fleet's default: spread the sensors' first measurements "
                   "evenly over their interval, so they do not measure all at once");
  app.add_flag("--no-jitter", no_jitter,
               "let a fleet's sensors measure all in the same millisecond (a burst that costs "
               "memory and delays commands)")
      ->excludes(jitter_flag);
  app.add_option("--interval", interval_text,
                 "measurement interval: 5 (seconds), 5s, 250ms, 1m (default: stored, else 10s)");
  app.add_option("--history", history,
                 "measurements kept per sensor for corrections (default: 10000, in a fleet 16)")
      ->check(apps::whole_number);
  app.add_option("--buffer", buffer,
                 "measurements kept until the server acknowledges them, for the whole process; "
                 "when full, measuring pauses")
      ->check(apps::whole_number)
      ->capture_default_str();
  app.add_option("--shutdown-grace", grace_text,
                 "at SIGINT/SIGTERM, how long to wait for unacknowledged measurements")
      ->capture_default_str();
  app.add_option("--dump", dump, "write the kept measurements to FILE at shutdown");
  app.add_flag("--replace-config", replace_config,
               "overwrite a stored config that cannot be decoded (else the sensor exits with "
               "code 1 and leaves it as it is)");
  app.add_option("--metrics-listen", metrics_listen,
                 "HOST:PORT to serve Prometheus metrics on (GET /metrics), e.g. 127.0.0.1:9464");
  app.add_option("--log-level", log_level, "error, warn, info or debug")->capture_default_str();
  app.add_flag("--quiet", quiet, "log errors only");
  apps::add_common_flags(app, flags);
  app.footer(apps::secrets_note);
  if (auto rc = apps::parse_command_line(app, argc, argv, "iot-sensor")) return *rc;

  auto usage = [](const std::string& text) {
    std::cerr << "iot-sensor: " << text << '\n';
    return 2;
  };
  if (auto e = iot::sensor_id_error(sensor_id); !e.empty()) return usage(e);
  if (!iot::fleet_of(sensor_id).empty())
    return usage("--sensorID " + sensor_id +
                 " names a fleet member: start the fleet with --sensorID " +
                 std::string(iot::fleet_of(sensor_id)) + " --count N");
  if (count && *count == 0) return usage("--count must be at least 1");
  if (count) {
    // The longest member id must be a valid id too.
    if (auto e = iot::sensor_id_error(sensor_id + "." + std::to_string(*count)); !e.empty())
      return usage("--count " + std::to_string(*count) + " with --sensorID " + sensor_id + ": " +
                   e);
  }
  auto level = apps::parse_log_level(log_level);
  if (!level) return usage("--log-level must be error, warn, info or debug");
  if (quiet) level = apps::log_level::error;
  if (history && *history == 0) return usage("--history must be at least 1");
  if (buffer == 0) return usage("--buffer must be at least 1");

  sensor::fleet_options options;
  options.sensor_id = sensor_id;
  options.count = count.value_or(0);
  options.jitter = !no_jitter;
  options.history = history.value_or(count ? 16 : 10000);
  options.buffer = buffer;
  options.log_level = *level;
  if (auto e = iot::parse_duration(grace_text, options.shutdown_grace); !e.empty())
    return usage("--shutdown-grace: " + e);
  options.dump_file = dump;
  if (metrics_listen) {
    std::string why;
    options.metrics_listen = http::parse_listen_address(*metrics_listen, why);
    if (!options.metrics_listen) return usage("--metrics-listen: " + why);
  }
  options.replace_config = replace_config;
  if (const char* fault = std::getenv("IOT_SENSOR_FAULT")) {
    if (std::string(fault) != "exit-before-ack")
      return usage(std::string("IOT_SENSOR_FAULT: unknown fault \"") + fault + "\"");
    options.exit_before_ack = true;
  }
  if (!interval_text.empty()) {
    std::chrono::milliseconds d{};
    if (auto e = iot::parse_duration(interval_text, d); !e.empty())
      return usage("--interval: " + e);
    if (auto e = iot::interval_error(d); !e.empty()) return usage("--interval: " + e);
    options.interval = d;
  }
  std::string error;
  auto settings = apps::resolve_settings(flags, "iot-sensor " + sensor_id, error);
  if (!settings) return usage(error);
  options.settings = std::move(*settings);
  // Replies and commands arrive under the sensor's own prefix, which
  // per-sensor permissions let only this sensor subscribe to. (A fleet's
  // replies come under its base name; each member's commands under its own.)
  options.settings.connect.inbox_prefix = iot::wire_names::inbox_prefix(sensor_id);
  // One sensor writes each publish at once: a command's config store, result
  // and ack then take one round trip each instead of waiting for nats.c's
  // ~1 ms flush. A fleet lets nats.c batch: at 10 000 measurements/s, writing
  // each at once cost 1.5x the CPU in the process and 2x in the server
  // (docs/performance.md).
  options.settings.connect.send_asap = !count;

  apps::logger log(sensor_id, *level);
  boost::asio::io_context ioc;
  sensor::fleet_runtime runtime(ioc.get_executor(), std::move(options), log);
  return apps::run_until_done(
      ioc, runtime.run(), [&] { runtime.stop(); }, log);
}
