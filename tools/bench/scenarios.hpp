// The scenarios. Each runs against env's server and hands one JSON
// object per result line to `emit`; it throws std::runtime_error when it
// cannot run at all.
#pragma once

#include <boost/json/object.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "bench_env.hpp"

namespace bench {

using emit_fn = std::function<void(boost::json::object)>;

struct publish_params {
  std::size_t messages = 200000;
  std::vector<std::size_t> subjects{1, 1000};  // one result line each
  std::size_t window = 4096;
  int rounds = 3;         // raw and library runs each, alternating
  bool variants = false;  // also time other ways of using the library, once per round
};

struct kv_params {
  std::size_t samples = 5000;  // of get and of put, per side
  std::size_t warmup = 500;
  int rounds = 2;         // raw and library halves alternate
  bool variants = false;  // also time the direct get as a plain request, with and without timer
};

struct command_params {
  std::size_t samples = 200;
  std::size_t load_samples = 200;
  std::size_t fleet_size = 10000;                 // the "under load" fleet; 0 skips that case
  std::chrono::milliseconds load_interval{1000};  // of the "under load" fleet
  std::chrono::seconds ready_limit{180};
};

struct fleet_params {
  std::vector<std::size_t> sizes{1, 10, 100, 1000, 10000};
  std::chrono::milliseconds interval{1000};
  double measure_seconds = 20;
  std::chrono::seconds startup_limit{300};
  bool jitter = true;  // false: --no-jitter, every member measuring in the same millisecond
};

struct consumer_params {
  std::vector<std::size_t> counts{1000, 10000};  // consumers per run, each variant
  std::vector<std::string> variants;             // empty: all (consumer_bench.cpp)
  double idle_seconds = 10;
};

struct historian_params {
  std::vector<std::string> databases{"sqlite", "postgresql"};
  std::size_t sensors = 1000;  // catch-up: sensors x per_sensor measurements
  std::size_t per_sensor = 1000;
  std::size_t batch = 5000;  // iot-server's --batch, the drain's fetch, the plain insert's
  std::chrono::seconds catch_up_limit{900};
  std::size_t fleet = 10000;  // live lag at 1 s; 0 skips it
  double lag_settle_seconds = 10;
  double lag_seconds = 30;
  std::chrono::seconds fleet_startup_limit{300};
  std::size_t query_rows = 10'000'000;  // queries on a database this full; 0 skips them
  int query_runs = 21;
};

struct http_params {
  int seconds = 10;  // of each wrk run
  int connections = 64;
  std::size_t put_samples = 200;
  std::size_t event_clients = 200;  // 0 skips the events case
  std::size_t sensors_per_client = 10;
  std::size_t event_fleet = 1000;
  int event_settle_seconds = 5;
  int event_seconds = 30;
};

struct cli_params {
  std::size_t runs = 20;   // timed runs of each command, interleaved
  std::size_t warmup = 2;  // untimed rounds first
  bool history = true;     // also `iot-sim history`, with iot-server on SQLite
};

void run_publish(bench_env& env, const publish_params& p, const emit_fn& emit);
void run_kv(bench_env& env, const kv_params& p, const emit_fn& emit);
void run_command(bench_env& env, const command_params& p, const emit_fn& emit);
void run_fleet(bench_env& env, const fleet_params& p, const emit_fn& emit);
void run_consumers(bench_env& env, const consumer_params& p, const emit_fn& emit);
void run_historian(bench_env& env, const historian_params& p, const emit_fn& emit);
void run_http(bench_env& env, const http_params& p, const emit_fn& emit);
void run_cli(bench_env& env, const cli_params& p, const emit_fn& emit);

}  // namespace bench
