// iot-sim: the admin CLI. Each subcommand runs as one sequential coroutine.
#include <CLI/CLI.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdlib>
#include <iostream>

#include "../common/app_settings.hpp"
#include "../common/cli_parse.hpp"
#include "iot/duration.hpp"
#include "iot/limits.hpp"
#include "iot/sensor_id.hpp"
#include "sim_commands.hpp"

namespace {

int usage(const std::string& text) {
  std::cerr << "iot-sim: " << text << '\n';
  return sim::exit_code::usage;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"iot-sim: administer simulated sensors over NATS JetStream"};
  app.require_subcommand(1);
  app.fallthrough();  // common flags may follow the subcommand
  apps::common_flags flags;
  apps::add_common_flags(app, flags);

  std::string sensor_id;
  bool json = false;
  sim::subscribe_args sub_args;
  sim::command_args cmd_args;
  std::string interval_text, timeout_text = "5s";
  std::uint64_t count = 0;

  auto* subscribe = app.add_subcommand("subscribe", "print a sensor's measurements as they arrive");
  subscribe->add_option("--sensorID", sensor_id, "sensor id")->required();
  subscribe->add_option("--from", sub_args.from, "new, all or last:N")->capture_default_str();
  subscribe->add_option("--count", count, "stop after N measurements")->check(apps::whole_number);
  subscribe->add_flag("--json", json, "print the raw JSON");

  auto* get_config = app.add_subcommand("get_config", "print a sensor's stored config");
  get_config->add_option("--sensorID", sensor_id, "sensor id")->required();
  get_config->add_flag("--json", json, "print the raw JSON");

  auto* edit_config = app.add_subcommand("edit_config", "change a sensor's measurement interval");
  edit_config->add_option("--sensorID", sensor_id, "sensor id")->required();
  edit_config->add_option("--interval", interval_text, "5 (seconds), 5s, 250ms, 1m, ...")
      ->required();
  edit_config->add_option("--timeout", timeout_text, "how long to wait for the sensor's answer")
      ->capture_default_str();

  auto* edit_measurement = app.add_subcommand("edit_measurement", "correct a measurement");
  edit_measurement->add_option("--sensorID", sensor_id, "sensor id")->required();
  edit_measurement->add_option("--id", cmd_args.lecture_id, "lecture_id of the measurement")
      ->required()
      ->check(apps::whole_number);
  edit_measurement->add_option("--value", cmd_args.value, "the corrected reading")->required();
  edit_measurement->add_option("--timeout", timeout_text, "how long to wait for the answer")
      ->capture_default_str();

  auto* list = app.add_subcommand(
      "list", "every sensor in the config bucket (an undecodable config is listed as invalid)");

  std::vector<std::string> provision_ids;
  auto* provision = app.add_subcommand(
      "provision", "create or update the streams, the bucket and sensors' command consumers");
  provision->add_option("--sensorID", provision_ids,
                        "also the command consumer of this sensor (repeatable)");

  sim::history_args history_args;
  std::string since_text, from_text, to_text, step_text;
  bool csv = false;
  auto* history = app.add_subcommand(
      "history", "a sensor's stored measurements, from iot-server (default: the last hour)");
  history->add_option("--sensorID", sensor_id, "sensor id")->required();
  auto* since = history->add_option("--since", since_text, "this long before now, e.g. 1h, 30m");
  auto* from = history->add_option("--from", from_text, "start, RFC 3339 (inclusive)");
  auto* to = history->add_option("--to", to_text, "end, RFC 3339 (exclusive; default: now)");
  since->excludes(from)->excludes(to);
  history->add_option("--step", step_text,
                      "buckets of this length (min, max, avg, count, last) instead of rows");
  history->add_flag("--revisions", history_args.revisions,
                    "every revision of each measurement, not only the latest");
  auto* json_flag = history->add_flag("--json", json, "JSON output");
  history->add_flag("--csv", csv, "CSV output")->excludes(json_flag);
  history->add_option("--timeout", timeout_text, "how long to wait for each answer")
      ->capture_default_str();

  app.footer(
      "Exit codes: 0 ok, 1 failure (server unreachable, refused), 2 usage, 3 unknown sensor, "
      "4 command rejected, 5 command not confirmed (queued for an offline sensor), 6 command "
      "taken by the sensor but no result reported.\n" +
      std::string(apps::secrets_note));
  // CLI11 would report a mistyped subcommand as a missing one.
  if (argc > 1 && argv[1][0] != '-' &&
      app.get_subcommands([&](const CLI::App* sub) { return sub->check_name(argv[1]); }).empty()) {
    const auto all = app.get_subcommands([](const CLI::App*) { return true; });
    std::string expected;  // from the subcommands themselves, so it cannot fall behind
    for (std::size_t i = 0; i < all.size(); ++i)
      expected += (i == 0 ? "" : i + 1 == all.size() ? " or " : ", ") + all[i]->get_name();
    return usage(std::string("unknown subcommand \"") + argv[1] + "\" (expected " + expected + ")");
  }
  if (auto rc = apps::parse_command_line(app, argc, argv, "iot-sim")) return *rc;

  if (provision->parsed()) {
    for (const auto& id : provision_ids)
      if (auto e = iot::sensor_id_error(id); !e.empty()) return usage(e);
  } else if (!list->parsed()) {
    if (auto e = iot::sensor_id_error(sensor_id); !e.empty()) return usage(e);
  }
  std::chrono::milliseconds timeout{};
  if (auto e = iot::parse_duration(timeout_text, timeout); !e.empty())
    return usage("--timeout: " + e);
  cmd_args.sensor_id = sensor_id;
  cmd_args.timeout = timeout;
  if (edit_config->parsed()) {
    if (auto e = iot::parse_duration(interval_text, cmd_args.interval); !e.empty())
      return usage("--interval: " + e);
    if (auto e = iot::interval_error(cmd_args.interval); !e.empty())
      return usage("--interval: " + e);
  }
  if (edit_measurement->parsed()) {
    if (cmd_args.value.empty()) return usage("--value must not be empty");
    if (cmd_args.value.size() > iot::max_measurement_value_bytes)
      return usage("--value is longer than " + std::to_string(iot::max_measurement_value_bytes) +
                   " bytes");
  }
  if (history->parsed()) {
    history_args.sensor_id = sensor_id;
    history_args.timeout = timeout;
    history_args.format = json  ? sim::output_format::json
                          : csv ? sim::output_format::csv
                                : sim::output_format::text;
    if (auto e = sim::history_window(since_text, from_text, to_text, iot::clock::now(),
                                     history_args.from, history_args.to);
        !e.empty())
      return usage(e);
    if (!step_text.empty()) {
      std::chrono::milliseconds step{};
      if (auto e = iot::parse_duration(step_text, step); !e.empty()) return usage("--step: " + e);
      if (step.count() <= 0) return usage("--step must be positive");
      history_args.step = step;
    }
  }
  sub_args.sensor_id = sensor_id;
  sub_args.json = json;
  if (subscribe->count("--count")) {
    if (count == 0) return usage("--count must be at least 1");
    sub_args.count = count;
  }

  std::string error;
  auto settings = apps::resolve_settings(flags, "iot-sim", error);
  if (!settings) return usage(error);

  boost::asio::io_context ioc;
  boost::asio::cancellation_signal stop;
  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](auto ec, int) {
    if (!ec) stop.emit(boost::asio::cancellation_type::terminal);
  });

  boost::asio::awaitable<int> work =
      subscribe->parsed()          ? sim::run_subscribe(*settings, sub_args, stop)
      : get_config->parsed()       ? sim::run_get_config(*settings, sensor_id, json)
      : edit_config->parsed()      ? sim::run_edit_config(*settings, cmd_args)
      : edit_measurement->parsed() ? sim::run_edit_measurement(*settings, cmd_args)
      : provision->parsed()        ? sim::run_provision(*settings, provision_ids, stop)
      : history->parsed()          ? sim::run_history(*settings, history_args)
                                   : sim::run_list(*settings);
  int rc = sim::exit_code::failure;
  boost::asio::co_spawn(ioc, std::move(work), [&](std::exception_ptr e, int code) {
    signals.cancel();
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::cerr << "iot-sim: unexpected failure: " << ex.what() << '\n';
      }
      return;
    }
    rc = code;
  });
  ioc.run();
  // Every command has had all its answers by now, and iot-sim publishes as
  // soon as it asks (send-asap): nothing is left to send. So the process ends
  // here rather than closing nats.c's connection on the way out, which joins
  // nats.c's threads: about a millisecond of a 6 ms command
  // (docs/performance.md, "The CLI as a whole process").
  std::cout.flush();
  std::cerr.flush();
  std::_Exit(rc);
}
