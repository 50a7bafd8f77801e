// Scenario "fleet": one iot-sensor process running N sensors. How long until
// all of them publish and until their command consumer exists, then what they cost (sensor
// process and server: RSS, CPU) while publishing, and whether every sensor keeps its interval.
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <sstream>

#include "command_consumers.hpp"
#include "iot/wire.hpp"
#include "measurement_counter.hpp"
#include "nats_asio/jetstream.hpp"
#include "process_stats.hpp"
#include "program_process.hpp"
#include "program_stop.hpp"
#include "scenarios.hpp"
#include "stats.hpp"

namespace bench {
namespace {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::awaitable;
using asio::use_awaitable;
using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

double seconds_since(clock::time_point t) {
  return std::chrono::duration<double>(clock::now() - t).count();
}

std::size_t count_lines_starting(const std::string& text, const std::string& prefix) {
  std::istringstream in(text);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(prefix)) ++n;
  return n;
}

// A JSON number, or null when the figure could not be taken (no server PID).
boost::json::value maybe(const std::optional<double>& v, int digits = 3) {
  if (!v) return nullptr;
  return rounded(*v, digits);
}

// The fleet ended before the moment being waited for: no figure can follow.
void throw_if_exited(program_process& sensor, std::size_t n) {
  if (auto code = sensor.exit_code())
    throw std::runtime_error("iot-sensor --count " + std::to_string(n) + " exited with " +
                             std::to_string(*code) + ": " + sensor.stderr_tail());
}

awaitable<boost::json::object> fleet_run(const bench_env& env, std::size_t n,
                                         const fleet_params& p) {
  const iot::wire_names names;
  auto conn = co_await connect(env);
  nats_asio::jetstream js(conn);
  const auto server_before = sample_process(env.server_pid);
  measurement_counter counter(conn, names.measurements_subject);

  const std::string id = "fleet" + std::to_string(n);
  const auto server_spawn = sample_process(env.server_pid);
  const auto interval_text = std::to_string(p.interval.count()) + "ms";
  const std::vector<std::string> args{env.sensor_bin,
                                      "--sensorID",
                                      id,
                                      "--count",
                                      std::to_string(n),
                                      "--interval",
                                      interval_text,
                                      p.jitter ? "--jitter" : "--no-jitter",
                                      "--quiet",
                                      "--nats-url",
                                      env.url};
  program_process sensor(args, env.scratch);
  const auto spawned = clock::now();
  const bool started_all = co_await counter.wait_until(
      [&] { return counter.sensors_seen() >= n || sensor.exit_code().has_value(); },
      spawned + p.startup_limit);
  throw_if_exited(sensor, n);
  const double startup = seconds_since(spawned);
  const auto server_started = sample_process(env.server_pid);
  const auto sensor_started = sample_process(sensor.pid());
  const std::size_t seen_at_startup = counter.sensors_seen();
  env.progress("fleet " + std::to_string(n) + ": " + std::to_string(seen_at_startup) +
               " sensor(s) publishing after " + std::to_string(startup) + " s");

  // The fleet creates its command consumer after it publishes.
  const int consumers = co_await wait_for_command_consumer(js, sensor, spawned + p.startup_limit);
  const bool consumers_all = consumers >= 1;
  throw_if_exited(sensor, n);
  const double consumers_ready = seconds_since(spawned);
  const auto server_ready = sample_process(env.server_pid);
  const auto sensor_ready = sample_process(sensor.pid());
  env.progress("fleet " + std::to_string(n) + ": " + std::to_string(consumers) +
               " command consumer(s) after " + std::to_string(consumers_ready) + " s");

  // The measuring window.
  counter.start_window();
  const auto sensor_0 = sample_process(sensor.pid());
  const auto server_0 = sample_process(env.server_pid);
  const auto bench_0 = sample_process(::getpid());
  const auto window_start = clock::now();
  const auto window =
      std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(p.measure_seconds));
  std::uint64_t sensor_peak_rss = 0, server_peak_rss = 0;
  while (clock::now() - window_start < window) {
    co_await sleep_for(std::min<clock::duration>(1s, window - (clock::now() - window_start)));
    if (auto s = sample_process(sensor.pid()))
      sensor_peak_rss = std::max(sensor_peak_rss, s->rss_bytes);
    if (auto s = sample_process(env.server_pid))
      server_peak_rss = std::max(server_peak_rss, s->rss_bytes);
  }
  const auto sensor_1 = sample_process(sensor.pid());
  const auto server_1 = sample_process(env.server_pid);
  const auto bench_1 = sample_process(::getpid());
  const double wall = seconds_since(window_start);
  const auto window_messages = counter.window_messages();
  const auto window_sensors = counter.window_sensors();
  const double sensor_rate = counter.window_rate();
  const auto dropped = counter.dropped();
  counter.stop();

  const auto stop_start = clock::now();
  const int exit_code = co_await stop_program(sensor, 60s);
  const double stop_seconds = seconds_since(stop_start);
  co_await conn.async_close(as_tuple(use_awaitable));

  const double rate = static_cast<double>(window_messages) / wall;
  const double expected = static_cast<double>(n) * 1000.0 / static_cast<double>(p.interval.count());
  std::optional<double> sensor_cores, server_cores, bench_cores;
  if (sensor_0 && sensor_1) sensor_cores = cores_used(*sensor_0, *sensor_1);
  if (server_0 && server_1) server_cores = cores_used(*server_0, *server_1);
  if (bench_0 && bench_1) bench_cores = cores_used(*bench_0, *bench_1);
  auto per_kmsgs = [&](const std::optional<double>& cores) -> std::optional<double> {
    if (!cores || rate <= 0) return std::nullopt;
    return *cores / (rate / 1000.0);
  };

  boost::json::object o;
  o["scenario"] = "fleet";
  o["sensors"] = n;
  o["interval_ms"] = p.interval.count();
  o["measure_s"] = rounded(wall, 2);
  o["jitter"] = p.jitter;
  o["startup_s"] = rounded(startup, 3);
  o["started_all"] = started_all;
  o["consumers_ready_s"] = rounded(consumers_ready, 3);
  o["consumers_all"] = consumers_all;
  if (sensor_ready) o["startup_sensor_hwm_bytes"] = sensor_ready->hwm_bytes;
  if (server_ready) o["consumers_server_rss_bytes"] = server_ready->rss_bytes;
  o["consumers_server_cpu_s"] =
      server_spawn && server_ready
          ? boost::json::value(rounded(server_ready->cpu_seconds - server_spawn->cpu_seconds, 3))
          : boost::json::value(nullptr);
  o["sensors_seen_at_startup"] = seen_at_startup;
  // CPU during start-up: is the server busy creating consumers, or waiting?
  if (sensor_started) o["startup_sensor_cpu_s"] = rounded(sensor_started->cpu_seconds, 3);
  o["startup_server_cpu_s"] =
      server_spawn && server_started
          ? boost::json::value(rounded(server_started->cpu_seconds - server_spawn->cpu_seconds, 3))
          : boost::json::value(nullptr);
  o["msgs_per_s"] = rounded(rate, 1);
  o["per_sensor_msgs_per_s"] = rounded(sensor_rate, 1);
  o["expected_msgs_per_s"] = rounded(expected, 1);
  o["sensors_seen_in_window"] = window_sensors;
  o["all_publishing"] = window_sensors >= n && sensor_rate >= 0.95 * expected;
  o["sensor_rss_bytes"] = sensor_1 ? sensor_1->rss_bytes : 0;
  o["sensor_peak_rss_bytes"] = sensor_peak_rss;
  o["sensor_hwm_bytes"] = sensor_1 ? sensor_1->hwm_bytes : 0;
  o["bytes_per_sensor"] = sensor_1 ? sensor_1->rss_bytes / n : 0;
  o["sensor_cpu_cores"] = maybe(sensor_cores);
  o["cpu_per_1000_msgs_per_s"] = maybe(per_kmsgs(sensor_cores), 4);
  if (server_1 && server_before) {
    o["server_rss_bytes"] = server_1->rss_bytes;
    o["server_peak_rss_bytes"] = server_peak_rss;
    o["server_rss_before_bytes"] = server_before->rss_bytes;
    o["server_rss_delta_bytes"] = static_cast<std::int64_t>(server_1->rss_bytes) -
                                  static_cast<std::int64_t>(server_before->rss_bytes);
  } else {
    o["server_rss_bytes"] = nullptr;
    o["server_peak_rss_bytes"] = nullptr;
    o["server_rss_before_bytes"] = nullptr;
    o["server_rss_delta_bytes"] = nullptr;
  }
  o["server_cpu_cores"] = maybe(server_cores);
  o["server_cpu_per_1000_msgs_per_s"] = maybe(per_kmsgs(server_cores), 4);
  o["consumers"] = consumers;
  o["bench_cpu_cores"] = maybe(bench_cores);
  o["dropped"] = dropped;
  o["sensor_exit_code"] = exit_code;
  o["stop_s"] = rounded(stop_seconds, 3);
  o["summary_lines"] = count_lines_starting(sensor.stdout_text(), "summary");
  co_return o;
}

}  // namespace

void run_fleet(bench_env& env, const fleet_params& p, const emit_fn& emit) {
  if (!env.fresh_server)
    env.progress("fleet: --server given: each size runs on what earlier runs left in the server");
  for (const auto n : p.sizes) {
    const double load = load_average();
    // A fresh server for each size: its memory then shows what this fleet
    // costs, not what earlier scenarios left in it.
    if (env.fresh_server) env.fresh_server();
    env.progress("fleet: starting " + std::to_string(n) + " sensor(s)");
    auto limit = std::chrono::duration_cast<std::chrono::seconds>(p.startup_limit) +
                 std::chrono::seconds(static_cast<long>(p.measure_seconds)) + 180s;
    auto o = run_coro(env.ioc, fleet_run(env, n, p), limit);
    o["loadavg_1m"] = load;
    emit(std::move(o));
  }
}

}  // namespace bench
