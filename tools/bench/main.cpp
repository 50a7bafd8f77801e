// iot-bench: throughput, latency and fleet-cost figures for the library and
// the programs built on it, against a real nats-server. One JSON object per
// result line on stdout; progress on stderr. Exit code 0 when every scenario
// ran, 1 when one failed or the server is unreachable, 2 for bad arguments.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include "../../apps/common/cli_parse.hpp"
#include "bench_env.hpp"
#include "iot/duration.hpp"
#include "json_line.hpp"
#include "nats_server.hpp"
#include "program_process.hpp"
#include "scenarios.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

int usage(const std::string& text) {
  std::cerr << "iot-bench: " << text << '\n';
  return 2;
}

// A program as built beside this one (build/tools/iot-bench ->
// build/apps/<name>), else the environment variable `env_name`.
std::string default_program_bin(const char* name, const char* env_name) {
  std::error_code ec;
  const auto self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto beside = self.parent_path().parent_path() / "apps" / name;
    if (fs::exists(beside, ec)) return beside.string();
  }
  const char* env = std::getenv(env_name);
  return env ? env : "";
}

// A tool built beside this one (build/tools/<name>).
std::string beside_self(const char* name) {
  std::error_code ec;
  const auto self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? "" : (self.parent_path() / name).string();
}

bool is_executable(const std::string& path) {
  return !path.empty() && ::access(path.c_str(), X_OK) == 0 && !fs::is_directory(path);
}

// Can this iot-sensor run a fleet (--count)? Asked through its --help.
bool sensor_has_fleet_mode(const std::string& bin, const fs::path& dir) {
  bench::program_process help({bin, "--help"}, dir);
  help.wait(10s);
  return help.stdout_text().find("--count") != std::string::npos;
}

// One connection up front, so that an unreachable server is one clear line.
boost::asio::awaitable<void> check_reachable(const bench::bench_env& env) {
  auto conn = co_await bench::connect(env);
  co_await conn.async_close(boost::asio::use_awaitable);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "iot-bench: publish throughput, KV and command latency, fleet cost and the historian's "
      "ingest, lag and queries, iot-sim as a whole process, each against a real nats-server; one "
      "JSON object per result on stdout"};
  bench::publish_params pub;
  bench::kv_params kv;
  bench::command_params cmd;
  bench::fleet_params fleet;
  bench::historian_params hist;
  bench::http_params http;
  bench::consumer_params consumers;
  bench::cli_params cli;
  std::optional<std::size_t> cli_runs;
  std::optional<int> http_seconds;
  std::optional<std::size_t> event_clients;
  std::string scenario = "all";
  std::optional<std::string> server_url;
  bool smoke = false;
  std::optional<std::size_t> messages, window, samples, commands, load_fleet, rounds;
  std::optional<std::vector<std::size_t>> subjects, fleet_sizes;
  std::optional<double> measure_seconds;
  std::string sensor_bin = default_program_bin("iot-sensor", "IOT_SENSOR_BIN");
  std::string server_bin = default_program_bin("iot-server", "IOT_SERVER_BIN");
  std::string sim_bin = default_program_bin("iot-sim", "IOT_SIM_BIN");
  std::string oneshot_bin = beside_self("iot-bench-oneshot");
  std::optional<std::vector<std::string>> databases;
  std::optional<std::size_t> history_sensors, history_per_sensor, history_batch, history_fleet,
      query_rows;

  app.add_option("--scenario", scenario,
                 "publish, kv, command, fleet, historian, http, cli or all; or consumers (not "
                 "part of all: the cost of creating command consumers, in several ways)")
      ->check(CLI::IsMember(
          {"publish", "kv", "command", "fleet", "historian", "http", "cli", "all", "consumers"}))
      ->capture_default_str();
  app.add_option("--consumer-counts", consumers.counts,
                 "consumers: consumers created per run, one result each (default 1000,10000)")
      ->delimiter(',')
      ->check(CLI::PositiveNumber);
  app.add_option("--consumer-variants", consumers.variants,
                 "consumers: baseline, concurrency_16, concurrency_256, mem_storage, "
                 "no_heartbeat, heartbeat_30s, flow_control, max_ack_pending_1000, "
                 "create_subject (default all)")
      ->delimiter(',');
  app.add_option("--idle-seconds", consumers.idle_seconds,
                 "consumers: how long the server's idle cost is measured (default 10)")
      ->check(CLI::PositiveNumber);
  app.add_option("--server", server_url,
                 "use this server (nats://host:port) instead of starting one; it must have "
                 "JetStream, and server CPU/RSS are then not reported");
  app.add_flag("--smoke", smoke, "tiny sizes: the whole run takes well under 30 s");
  app.add_option("--messages", messages, "publish: messages per run (default 200000)")
      ->check(apps::whole_number);
  app.add_option("--subjects", subjects,
                 "publish: subject counts, one result each (default 1,1000)")
      ->delimiter(',')
      ->check(apps::whole_number);
  app.add_option("--window", window, "publish: publishes in flight (default 4096)")
      ->check(apps::whole_number);
  app.add_option("--rounds", rounds, "publish: runs of each side, alternating (default 3)")
      ->check(apps::whole_number);
  app.add_flag("--variants", pub.variants,
               "publish and kv: also time the library in other ways (callbacks, no "
               "timeout, plain requests) to show where the time goes");
  app.add_option("--samples", samples, "kv: timed gets and puts per side (default 5000)")
      ->check(apps::whole_number);
  app.add_option("--commands", commands, "command: round trips per case (default 200)")
      ->check(apps::whole_number);
  app.add_option("--load-fleet", load_fleet,
                 "command: sensors publishing in the under-load case, 0 skips it (default 10000)")
      ->check(apps::whole_number);
  app.add_option("--fleet-sizes", fleet_sizes,
                 "fleet: sensor counts, one result each (default 1,10,100,1000,10000)")
      ->delimiter(',')
      ->check(apps::whole_number);
  bool no_jitter = false;
  app.add_flag("--no-jitter", no_jitter,
               "fleet: run the fleets with --no-jitter (all members measure at once)");
  app.add_option("--measure-seconds", measure_seconds,
                 "fleet: length of the measuring window (default 20)");
  std::string fleet_interval;
  app.add_option("--fleet-interval", fleet_interval,
                 "fleet, and command under load: the fleets' --interval (default 1s)");
  app.add_option("--sensor-bin", sensor_bin,
                 "iot-sensor to run (default: the one built beside this program, else "
                 "$IOT_SENSOR_BIN)")
      ->capture_default_str();
  app.add_option("--server-bin", server_bin,
                 "iot-server to run (default: the one built beside this program, else "
                 "$IOT_SERVER_BIN)")
      ->capture_default_str();
  app.add_option("--sim-bin", sim_bin,
                 "iot-sim to time (default: the one built beside this program, else $IOT_SIM_BIN)")
      ->capture_default_str();
  app.add_option("--cli-runs", cli_runs, "cli: timed runs of each command (default 20)")
      ->check(CLI::PositiveNumber);
  app.add_option("--databases", databases, "historian: sqlite, postgresql or both (default both)")
      ->delimiter(',')
      ->check(CLI::IsMember({"sqlite", "postgresql"}));
  app.add_option("--history-sensors", history_sensors,
                 "historian: sensors in the catch-up stream (default 1000)")
      ->check(apps::whole_number);
  app.add_option("--history-per-sensor", history_per_sensor,
                 "historian: measurements of each in the catch-up stream (default 1000)")
      ->check(apps::whole_number);
  app.add_option("--history-batch", history_batch,
                 "historian: iot-server's --batch, and the limits' batch (default 5000)")
      ->check(apps::whole_number);
  app.add_option("--history-fleet", history_fleet,
                 "historian: sensors at 1 s for the live lag, 0 skips it (default 10000)")
      ->check(apps::whole_number);
  app.add_option("--query-rows", query_rows,
                 "historian: rows in the database the queries run on, 0 skips them (default "
                 "10000000)")
      ->check(apps::whole_number);
  app.add_option("--http-seconds", http_seconds, "http: seconds of each wrk run (default 10)")
      ->check(CLI::PositiveNumber);
  app.add_option("--event-clients", event_clients,
                 "http: event-stream clients, each following 10 sensors of a 1 000-sensor fleet "
                 "at 1 s; 0 skips that case (default 200)")
      ->check(apps::whole_number);
  if (auto rc = apps::parse_command_line(app, argc, argv, "iot-bench")) return *rc;

  if (smoke) {
    pub.messages = 5000;
    pub.subjects = {1, 100};
    pub.window = 512;
    kv.samples = 200;
    kv.warmup = 50;
    cmd.samples = 20;
    cmd.load_samples = 20;
    cmd.fleet_size = 100;
    cmd.ready_limit = 20s;
    fleet.sizes = {1, 10};
    fleet.measure_seconds = 3;
    fleet.startup_limit = 20s;
    hist.sensors = 10;
    hist.per_sensor = 500;
    hist.batch = 500;
    hist.fleet = 20;
    hist.lag_settle_seconds = 1;
    hist.lag_seconds = 3;
    hist.fleet_startup_limit = 30s;
    hist.query_rows = 1;  // one sensor-day: 86 400 rows
    hist.query_runs = 3;
    http.seconds = 2;
    http.put_samples = 20;
    http.event_clients = 10;
    http.sensors_per_client = 2;
    http.event_fleet = 20;
    http.event_settle_seconds = 2;
    http.event_seconds = 3;
    cli.runs = 5;
    cli.warmup = 1;
  }
  if (messages) pub.messages = *messages;
  if (subjects) pub.subjects = *subjects;
  if (window) pub.window = *window;
  if (rounds) pub.rounds = static_cast<int>(*rounds);
  if (samples) kv.samples = *samples;
  kv.variants = pub.variants;
  if (commands) cmd.samples = cmd.load_samples = *commands;
  if (load_fleet) cmd.fleet_size = *load_fleet;
  if (fleet_sizes) fleet.sizes = *fleet_sizes;
  fleet.jitter = !no_jitter;
  if (measure_seconds) fleet.measure_seconds = *measure_seconds;
  if (!fleet_interval.empty()) {
    if (auto e = iot::parse_duration(fleet_interval, fleet.interval); !e.empty())
      return usage("--fleet-interval: " + e);
    if (auto e = iot::interval_error(fleet.interval); !e.empty())
      return usage("--fleet-interval: " + e);
    cmd.load_interval = fleet.interval;
  }
  if (databases) hist.databases = *databases;
  if (history_sensors) hist.sensors = *history_sensors;
  if (history_per_sensor) hist.per_sensor = *history_per_sensor;
  if (history_batch) hist.batch = *history_batch;
  if (history_fleet) hist.fleet = *history_fleet;
  if (query_rows) hist.query_rows = *query_rows;
  if (http_seconds) http.seconds = *http_seconds;
  if (event_clients) http.event_clients = *event_clients;
  if (cli_runs) cli.runs = *cli_runs;

  if (pub.messages == 0) return usage("--messages must be at least 1");
  if (pub.window == 0) return usage("--window must be at least 1");
  if (pub.rounds < 1) return usage("--rounds must be at least 1");
  for (auto s : pub.subjects)
    if (s == 0) return usage("--subjects: every count must be at least 1");
  if (kv.samples == 0) return usage("--samples must be at least 1");
  if (cmd.samples == 0) return usage("--commands must be at least 1");
  for (auto n : fleet.sizes)
    if (n == 0) return usage("--fleet-sizes: every size must be at least 1");
  // Each sensor must publish at least twice in the window for its rate.
  if (!(fleet.measure_seconds >= 2)) return usage("--measure-seconds must be at least 2");

  if (hist.sensors == 0 || hist.per_sensor == 0 || hist.batch == 0)
    return usage("--history-sensors, --history-per-sensor and --history-batch must be at least 1");

  const bool all = scenario == "all";
  const bool needs_sensor = all || scenario == "command" || scenario == "fleet" ||
                            scenario == "http" || scenario == "cli" ||
                            (scenario == "historian" && hist.fleet > 0);
  if (needs_sensor && !is_executable(sensor_bin))
    return usage(sensor_bin.empty() ? "no iot-sensor found: give --sensor-bin or IOT_SENSOR_BIN"
                                    : "--sensor-bin: " + sensor_bin + " is not an executable");
  // The cli scenario alone times `iot-sim history` only when there is an iot-server to answer it.
  if (scenario == "cli" && !is_executable(server_bin)) {
    std::cerr << "iot-bench: no iot-server (--server-bin): cli leaves out iot-sim history\n";
    cli.history = false;
  }
  const bool needs_server =
      all || scenario == "historian" || scenario == "http" || (scenario == "cli" && cli.history);
  if (needs_server && !is_executable(server_bin))
    return usage(server_bin.empty() ? "no iot-server found: give --server-bin or IOT_SERVER_BIN"
                                    : "--server-bin: " + server_bin + " is not an executable");
  if (all || scenario == "cli") {
    if (!is_executable(sim_bin))
      return usage(sim_bin.empty() ? "no iot-sim found: give --sim-bin or IOT_SIM_BIN"
                                   : "--sim-bin: " + sim_bin + " is not an executable");
    if (!is_executable(oneshot_bin))
      return usage("no iot-bench-oneshot beside iot-bench (" + oneshot_bin + ")");
  }

  std::unique_ptr<bench::scratch_dir> scratch;
  std::unique_ptr<test_support::nats_server> server;
  try {
    scratch = std::make_unique<bench::scratch_dir>();
  } catch (const std::exception& e) {
    std::cerr << "iot-bench: " << e.what() << '\n';
    return 1;
  }
  if (needs_sensor &&
      (all || scenario == "fleet" || scenario == "historian" || scenario == "http" ||
       cmd.fleet_size > 0) &&
      !sensor_has_fleet_mode(sensor_bin, scratch->path()))
    return usage(sensor_bin +
                 " has no fleet mode (--count): it cannot run the fleet scenario "
                 "or the command scenario under load (--load-fleet 0 skips that case)");

  boost::asio::io_context ioc;
  bench::bench_env env{ioc};
  env.sensor_bin = sensor_bin;
  env.server_bin = server_bin;
  env.sim_bin = sim_bin;
  env.oneshot_bin = oneshot_bin;
  env.scratch = scratch->path();
  env.progress = [](const std::string& text) { std::cerr << "iot-bench: " << text << std::endl; };
  if (server_url) {
    env.url = *server_url;
    try {
      bench::run_coro(ioc, check_reachable(env), 30s);
    } catch (const std::exception& e) {
      std::cerr << "iot-bench: " << e.what() << '\n';
      return 1;
    }
  } else {
    try {
      server = std::make_unique<test_support::nats_server>();
    } catch (const std::exception& e) {
      std::cerr << "iot-bench: cannot start nats-server: " << e.what() << '\n';
      return 1;
    }
    env.url = server->url();
    env.server_pid = server->pid();
    env.progress("nats-server " + std::to_string(env.server_pid) + " on " + env.url + ", store " +
                 server->store_dir().string());
    env.fresh_server = [&] {
      server.reset();
      server = std::make_unique<test_support::nats_server>();
      env.url = server->url();
      env.server_pid = server->pid();
      env.progress("fresh nats-server " + std::to_string(env.server_pid) + " on " + env.url);
    };
    env.restart_server = [&] {
      server->stop();
      server->start();
      env.server_pid = server->pid();
    };
  }

  int rc = 0;
  auto emit = [](boost::json::object o) { std::cout << bench::json_line(o) << std::endl; };
  auto run = [&](const char* name, auto&& body) {
    if (!all && scenario != name) return;
    try {
      body();
    } catch (const bench::timeout_error& e) {
      // A coroutine is still pending with references into unwound frames:
      // the io_context must not run again. End here, leaving nothing behind.
      std::cerr << "iot-bench: " << name << ": " << e.what() << '\n';
      emit({{"scenario", name}, {"error", e.what()}});
      server.reset();
      scratch.reset();
      std::fflush(nullptr);
      std::_Exit(1);
    } catch (const std::exception& e) {
      std::cerr << "iot-bench: " << name << ": " << e.what() << '\n';
      emit({{"scenario", name}, {"error", e.what()}});
      rc = 1;
    }
  };
  run("publish", [&] { bench::run_publish(env, pub, emit); });
  run("kv", [&] { bench::run_kv(env, kv, emit); });
  run("command", [&] { bench::run_command(env, cmd, emit); });
  run("fleet", [&] { bench::run_fleet(env, fleet, emit); });
  run("historian", [&] { bench::run_historian(env, hist, emit); });
  run("http", [&] { bench::run_http(env, http, emit); });
  run("cli", [&] {
    if (env.fresh_server) env.fresh_server();  // `list` sees this scenario's sensor only
    bench::run_cli(env, cli, emit);
  });
  if (scenario == "consumers")
    run("consumers", [&] { bench::run_consumers(env, consumers, emit); });
  return rc;
}
