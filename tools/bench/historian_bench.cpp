// Scenario "historian": iot-server keeping measurements in each database.
// Three parts per database, each one result line:
// - catch_up: a stream already holding sensors x per_sensor measurements;
//   how fast iot-server stores them all, beside the two limits measured in
//   the same run on the same stream and database: a raw nats.c drain and a
//   plain batched insert of the same rows. The ratio is to the smaller one.
// - live_lag: a fleet at 1 s publishing while iot-server ingests; the lag
//   from a measurement's timestamp to its committed row, from iot-server's
//   own histogram (two snapshots of sensor.history.stats, subtracted).
// - queries: the database filled to query_rows through the historian
//   library, then a day in 1 000 buckets, an hour of raw rows and the latest
//   of every sensor, each timed in this process; and bytes per row.
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <memory>
#include <optional>

#include "historian/open_store.hpp"
#include "history_audit.hpp"
#include "iot/wire.hpp"
#include "plain_insert.hpp"
#include "postgres_server.hpp"
#include "process_stats.hpp"
#include "program_process.hpp"
#include "program_stop.hpp"
#include "raw_nats.hpp"
#include "scenarios.hpp"
#include "stats.hpp"

namespace bench {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::as_tuple;
using asio::awaitable;
using asio::use_awaitable;
using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

const iot::wire_names names;

double seconds_since(clock::time_point t) {
  return std::chrono::duration<double>(clock::now() - t).count();
}

// The historian's targets (issue text): rows/s of catch-up, lag p99, query p50s.
double catch_up_target(const std::string& db) { return db == "sqlite" ? 50'000 : 25'000; }
constexpr double lag_p99_target_ms = 1000;
constexpr double buckets_target_ms = 20, hour_target_ms = 10, latest_target_ms = 100;

// iot-server's sensor.history.stats reply; throws when it does not answer.
awaitable<json::object> history_stats(nats_asio::connection& conn) {
  auto [ec, reply] = co_await conn.async_request(names.history_subject + ".stats", "{}", 5s,
                                                 as_tuple(use_awaitable));
  if (ec) throw std::runtime_error("sensor.history.stats: " + ec.message());
  json::error_code jec;
  auto v = json::parse(reply.payload, jec);
  if (jec || !v.is_object() || !v.as_object().contains("measurements"))
    throw std::runtime_error("sensor.history.stats: unexpected reply " + reply.payload);
  co_return std::move(v.as_object());
}

std::uint64_t stored_rows(const json::object& stats) {
  return stats.at("measurements").to_number<std::uint64_t>() +
         stats.at("rejected").to_number<std::uint64_t>();
}

double bytes_per_row(const json::object& stats) {
  const auto rows = stats.at("measurements").to_number<double>();
  return rows > 0 ? stats.at("bytes").to_number<double>() / rows : 0;
}

// The cumulative lag histogram of a stats reply: bounds and counts.
struct lag_snapshot {
  std::vector<double> le;              // upper bounds, ms
  std::vector<std::uint64_t> at_most;  // one more than le: the last is the total
};

lag_snapshot lag_of(const json::object& stats) {
  const auto& h = stats.at("ingest").at("lag_ms").as_object();
  lag_snapshot s;
  for (const auto& v : h.at("le").as_array()) s.le.push_back(v.to_number<double>());
  for (const auto& v : h.at("at_most").as_array())
    s.at_most.push_back(v.to_number<std::uint64_t>());
  return s;
}

// The smallest bound under which `p` percent of the window's measurements
// fall (the window: `after` minus `before`); null above the last bound.
json::value lag_percentile(const lag_snapshot& before, const lag_snapshot& after, double p) {
  const auto total = after.at_most.back() - before.at_most.back();
  if (total == 0) return nullptr;
  for (std::size_t i = 0; i < after.le.size(); ++i) {
    const auto n = after.at_most[i] - before.at_most[i];
    if (static_cast<double>(n) >= p / 100.0 * static_cast<double>(total)) return after.le[i];
  }
  return nullptr;
}

// A quarter of the machine's memory, at most 4 GB, as PostgreSQL reads it.
std::string shared_buffers() {
  const auto pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  const auto quarter_mb = pages > 0 && page > 0 ? pages / 4 * (page / 1024) / 1024 : 128;
  return std::to_string(std::min<long>(quarter_mb, 4096)) + "MB";
}

// The scenario's own database server and the URL of the store in it.
struct database {
  std::string kind;  // "sqlite" or "postgresql"
  std::filesystem::path dir;
  std::unique_ptr<test_support::postgres_server> postgres;
  std::string url;

  database(std::string k, const std::filesystem::path& scratch) : kind(std::move(k)) {
    dir = scratch / ("historian-" + kind);
    std::filesystem::create_directories(dir);
    if (kind == "sqlite") {
      url = "sqlite:" + (dir / "historian.db").string();
    } else {
      // As it would be run on this machine: fsync on (the default), and
      // shared buffers of a quarter of the memory, PostgreSQL's own advice
      // for a dedicated server, capped here at 4 GB.
      postgres = std::make_unique<test_support::postgres_server>(
          std::vector<std::string>{"shared_buffers=" + shared_buffers()});
      url = postgres->url();
    }
  }
};

std::vector<iot::measurement> planned_rows(const test_support::publish_plan& plan) {
  std::vector<iot::measurement> rows;
  const auto n = static_cast<std::uint64_t>(plan.sensors) * plan.per_sensor;
  rows.reserve(n);
  const auto base = std::chrono::time_point_cast<std::chrono::milliseconds>(iot::clock::now());
  for (std::uint64_t i = 0; i < n; ++i)
    rows.push_back(test_support::planned_measurement(plan, i, base));
  return rows;
}

// Waits until the iot-server just started answers its stats request; throws
// when it exits first or does not answer within `limit`.
awaitable<void> wait_for_stats(nats_asio::connection& conn, program_process& server,
                               clock::duration limit) {
  const auto deadline = clock::now() + limit;
  for (;;) {
    if (server.exit_code())
      throw std::runtime_error("iot-server exited with " + std::to_string(*server.exit_code()) +
                               ": " + server.stderr_tail());
    auto [ec, reply] = co_await conn.async_request(names.history_subject + ".stats", "{}", 1s,
                                                   as_tuple(use_awaitable));
    if (!ec) co_return;
    if (clock::now() > deadline) throw std::runtime_error("iot-server did not answer in time");
    co_await sleep_for(50ms);
  }
}

// --- catch_up ---

struct catch_up_result {
  double seconds = 0;
  double server_cores = 0;
  json::object stats;
};

awaitable<catch_up_result> catch_up(const bench_env& env, program_process& server,
                                    std::uint64_t rows, clock::time_point spawned,
                                    clock::duration limit) {
  auto conn = co_await connect(env);
  const auto before = sample_process(server.pid());
  co_await wait_for_stats(conn, server, 60s);
  catch_up_result r;
  for (;;) {
    r.stats = co_await history_stats(conn);
    if (stored_rows(r.stats) >= rows) break;
    if (server.exit_code())
      throw std::runtime_error("iot-server exited with " + std::to_string(*server.exit_code()) +
                               ": " + server.stderr_tail());
    if (clock::now() - spawned > limit)
      throw std::runtime_error("iot-server stored " + std::to_string(stored_rows(r.stats)) +
                               " of " + std::to_string(rows) + " rows in time");
    co_await sleep_for(100ms);
  }
  r.seconds = seconds_since(spawned);
  if (const auto after = sample_process(server.pid()); before && after)
    r.server_cores = cores_used(*before, *after);
  co_await conn.async_close(as_tuple(use_awaitable));
  co_return r;
}

// --- live_lag ---

// CPU cores a process used between two samples; null when one is missing.
json::value cores_between(const std::optional<process_sample>& a,
                          const std::optional<process_sample>& b) {
  if (!a || !b) return nullptr;
  return rounded(cores_used(*a, *b), 2);
}

awaitable<json::object> live_lag(const bench_env& env, const historian_params& p,
                                 program_process& server) {
  auto conn = co_await connect(env);
  // Every sensor is publishing once each has a row: iot-server counts
  // sensors with rows, so the benchmark needs no subscription of its own
  // (which would cost the server a second delivery of every message).
  const auto sensors_before =
      (co_await history_stats(conn)).at("sensors").to_number<std::uint64_t>();
  const std::vector<std::string> args{
      env.sensor_bin, "--sensorID", "live",     "--count", std::to_string(p.fleet),
      "--interval",   "1000ms",     "--jitter", "--quiet", "--nats-url",
      env.url};
  program_process fleet(args, env.scratch);
  const auto spawned = clock::now();
  std::uint64_t seen = 0;
  while (seen < p.fleet && clock::now() - spawned < p.fleet_startup_limit) {
    if (auto code = fleet.exit_code())
      throw std::runtime_error("iot-sensor --count " + std::to_string(p.fleet) + " exited with " +
                               std::to_string(*code) + ": " + fleet.stderr_tail());
    co_await sleep_for(500ms);
    seen = (co_await history_stats(conn)).at("sensors").to_number<std::uint64_t>() - sensors_before;
  }
  const bool all_started = seen >= p.fleet;
  const double startup = seconds_since(spawned);
  env.progress("historian: " + std::to_string(seen) + " sensors stored after " +
               std::to_string(startup) + " s; measuring the lag");
  // Let the start-up's backlog drain before the window opens.
  co_await sleep_for(std::chrono::duration_cast<clock::duration>(
      std::chrono::duration<double>(p.lag_settle_seconds)));
  const auto a = co_await history_stats(conn);
  const auto fleet_0 = sample_process(fleet.pid()), server_0 = sample_process(server.pid()),
             nats_0 = sample_process(env.server_pid);
  const auto window_start = clock::now();
  co_await sleep_for(
      std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(p.lag_seconds)));
  const auto b = co_await history_stats(conn);
  const auto fleet_1 = sample_process(fleet.pid()), server_1 = sample_process(server.pid()),
             nats_1 = sample_process(env.server_pid);
  const double window = seconds_since(window_start);
  const int fleet_exit = co_await stop_program(fleet, 60s);
  co_await conn.async_close(as_tuple(use_awaitable));

  const auto la = lag_of(a), lb = lag_of(b);
  const auto committed = lb.at_most.back() - la.at_most.back();
  json::object o;
  o["sensors"] = p.fleet;
  o["interval_ms"] = 1000;
  o["startup_s"] = rounded(startup, 1);
  o["all_started"] = all_started;
  o["window_s"] = rounded(window, 1);
  o["committed"] = committed;
  o["committed_per_s"] = rounded(static_cast<double>(committed) / window);
  o["fleet_cpu_cores"] = cores_between(fleet_0, fleet_1);
  o["server_cpu_cores"] = cores_between(server_0, server_1);
  o["nats_server_cpu_cores"] = cores_between(nats_0, nats_1);
  o["lag_p50_at_most_ms"] = lag_percentile(la, lb, 50);
  const auto p99 = lag_percentile(la, lb, 99);
  o["lag_p99_at_most_ms"] = p99;
  o["lag_max_at_most_ms"] = lag_percentile(la, lb, 100);
  o["target_p99_ms"] = lag_p99_target_ms;
  o["met"] = committed > 0 && p99.is_number() && p99.to_number<double>() <= lag_p99_target_ms;
  o["fleet_exit_code"] = fleet_exit;
  co_return o;
}

// --- queries ---

constexpr std::int64_t day_start_ms = 1714521600000;  // 2024-05-01T00:00:00Z
constexpr std::int64_t day_ms = 86'400'000;

historian::stored_measurement day_row(std::size_t sensor, std::int64_t second,
                                      std::uint64_t stream_seq) {
  historian::stored_measurement m;
  m.sensor_id = "day-" + std::to_string(sensor);
  m.lecture_id = static_cast<std::uint64_t>(second) + 1;
  m.seq = m.lecture_id;
  m.ts = iot::clock::time_point(std::chrono::milliseconds(day_start_ms + second * 1000));
  m.value = 20.0 + static_cast<double>(second % 100) / 10.0;
  m.lecture = std::to_string(m.value);
  m.unit = "celsius";
  m.stream_seq = stream_seq;
  return m;
}

// `sensors` sensors with a whole day at 1 s each, written in batches of
// `batch` rows as the historian writes (every sensor's next rows in turn).
awaitable<double> fill_days(historian::measurement_store& store, std::size_t sensors,
                            std::size_t batch,
                            const std::function<void(const std::string&)>& progress) {
  storage::diagnostics diag;
  const std::size_t per_round = std::max<std::size_t>(1, batch / sensors);
  std::uint64_t stream_seq = 1'000'000'000;
  const auto start = clock::now();
  std::size_t written = 0;
  for (std::int64_t second = 0; second < 86'400;) {
    historian::write_batch b;
    const auto end = std::min<std::int64_t>(86'400, second + static_cast<std::int64_t>(per_round));
    for (; second < end; ++second)
      for (std::size_t s = 0; s < sensors; ++s) b.rows.push_back(day_row(s, second, ++stream_seq));
    written += b.rows.size();
    auto [ec, r] = co_await store.async_write(std::move(b), diag, as_tuple(use_awaitable));
    if (ec) throw std::runtime_error("filling the database: " + diag.message());
    if (second % 21'600 < static_cast<std::int64_t>(per_round))
      progress("historian: filled " + std::to_string(written) + " rows");
  }
  co_return static_cast<double>(written) / seconds_since(start);
}

// The p50 of `runs` calls of `op(i)`, in milliseconds.
template <class Op>
awaitable<double> p50_ms(int runs, Op op) {
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    const auto start = clock::now();
    co_await op(i);
    times.push_back(seconds_since(start) * 1000);
  }
  co_return median(std::move(times));
}

awaitable<std::shared_ptr<historian::measurement_store>> open_store(const database& db) {
  storage::diagnostics diag;
  std::string error;
  const auto url = storage::parse_database_url(db.url, error);
  if (!url) throw std::runtime_error(error);
  auto [ec, store] = co_await historian::async_open_store(co_await asio::this_coro::executor, *url,
                                                          {}, diag, as_tuple(use_awaitable));
  if (ec) throw std::runtime_error("opening the store: " + diag.message());
  co_return store;
}

awaitable<historian::store_stats> store_stats(historian::measurement_store& store) {
  storage::diagnostics diag;
  auto [ec, st] = co_await store.async_stats(diag, as_tuple(use_awaitable));
  if (ec) throw std::runtime_error("stats: " + diag.message());
  co_return st;
}

struct filled {
  std::size_t day_sensors = 0;
  double rows_per_s = 0;
};

// Whole sensor-days until the database holds about query_rows rows.
awaitable<filled> fill(const bench_env& env, const database& db, const historian_params& p) {
  auto store = co_await open_store(db);
  const auto before = co_await store_stats(*store);
  const auto missing = p.query_rows > before.measurements ? p.query_rows - before.measurements : 0;
  filled f;
  f.day_sensors = std::max<std::size_t>(1, (missing + 43'200) / 86'400);
  env.progress("historian: filling " + db.kind + " with " + std::to_string(f.day_sensors) +
               " sensor-days at 1 s");
  f.rows_per_s = co_await fill_days(*store, f.day_sensors, p.batch, env.progress);
  co_await store->async_close(as_tuple(use_awaitable));
  co_return f;
}

awaitable<json::object> queries(const database& db, const historian_params& p, filled f) {
  auto store = co_await open_store(db);
  storage::diagnostics diag;
  const auto st = co_await store_stats(*store);
  const std::size_t day_sensors = f.day_sensors;
  // Cold: each query on the next sensor, so that it mostly reads pages no
  // query read before (not in the database's cache, though in the kernel's).
  // Warm: the same query again and again, as a dashboard refreshing.
  const auto day = iot::clock::time_point(std::chrono::milliseconds(day_start_ms));
  std::size_t bucket_count = 0, hour_rows = 0, latest_sensors = 0;
  auto day_buckets = [&](std::size_t sensor) -> awaitable<void> {
    historian::bucket_query q{"day-" + std::to_string(sensor % day_sensors), day,
                              day + std::chrono::milliseconds(day_ms),
                              std::chrono::milliseconds(day_ms / 1000)};
    auto [e, b] = co_await store->async_buckets(q, diag, as_tuple(use_awaitable));
    if (e) throw std::runtime_error("buckets: " + diag.message());
    bucket_count = b.size();
  };
  auto hour_raw = [&](std::size_t sensor, int hour) -> awaitable<void> {
    historian::range_query q;
    q.sensor_id = "day-" + std::to_string(sensor % day_sensors);
    q.from = day + std::chrono::hours(hour % 24);
    q.to = q.from + std::chrono::hours(1);
    q.limit = 3600;
    auto [e, page] = co_await store->async_range(q, diag, as_tuple(use_awaitable));
    if (e) throw std::runtime_error("range: " + diag.message());
    hour_rows = page.rows.size();
  };
  const double buckets = co_await p50_ms(
      p.query_runs, [&](int i) { return day_buckets(static_cast<std::size_t>(i)); });
  const double buckets_warm = co_await p50_ms(p.query_runs, [&](int) { return day_buckets(0); });
  const double hour = co_await p50_ms(
      p.query_runs, [&](int i) { return hour_raw(static_cast<std::size_t>(i) + 1, i); });
  const double hour_warm = co_await p50_ms(p.query_runs, [&](int) { return hour_raw(1, 0); });
  const double latest = co_await p50_ms(std::max(3, p.query_runs / 2), [&](int) -> awaitable<void> {
    auto [e, rows] = co_await store->async_latest(diag, as_tuple(use_awaitable));
    if (e) throw std::runtime_error("latest: " + diag.message());
    latest_sensors = rows.size();
  });
  co_await store->async_close(as_tuple(use_awaitable));

  json::object o;
  o["rows"] = st.measurements;
  o["sensors"] = st.sensors;
  o["fill_rows_per_s"] = rounded(f.rows_per_s, 0);
  o["bytes"] = st.bytes;
  o["bytes_per_row"] = rounded(st.measurements ? double(st.bytes) / double(st.measurements) : 0);
  o["runs"] = p.query_runs;
  o["day_in_buckets_p50_ms"] = rounded(buckets, 2);
  o["day_in_buckets_warm_p50_ms"] = rounded(buckets_warm, 2);
  o["buckets"] = bucket_count;
  o["hour_raw_p50_ms"] = rounded(hour, 2);
  o["hour_raw_warm_p50_ms"] = rounded(hour_warm, 2);
  o["hour_rows"] = hour_rows;
  o["latest_p50_ms"] = rounded(latest, 2);
  o["latest_sensors"] = latest_sensors;
  o["targets_ms"] = {{"day_in_buckets", buckets_target_ms},
                     {"hour_raw", hour_target_ms},
                     {"latest", latest_target_ms}};
  o["met"] = buckets <= buckets_target_ms && hour <= hour_target_ms && latest <= latest_target_ms;
  co_return o;
}

void run_database(bench_env& env, const historian_params& p, const std::string& kind,
                  const emit_fn& emit) {
  const double load = load_average();
  if (env.fresh_server) env.fresh_server();
  database db(kind, env.scratch);
  auto line = [&](const char* part, json::object o) {
    json::object out{{"scenario", "historian"}, {"part", part}, {"database", kind}};
    for (auto& [k, v] : o) out[k] = std::move(v);
    out["loadavg_1m"] = load;
    emit(std::move(out));
  };

  // The stream, filled before anything reads it.
  test_support::publish_plan plan;
  plan.sensors = static_cast<int>(p.sensors);
  plan.per_sensor = static_cast<int>(p.per_sensor);
  plan.window = 4096;
  const std::uint64_t rows = p.sensors * p.per_sensor;
  env.progress("historian: " + kind + ": publishing " + std::to_string(rows) + " measurements");
  auto t = clock::now();
  test_support::publish_measurements(env.url, plan);
  const double publish_s = seconds_since(t);

  env.progress("historian: raw nats.c drain");
  const auto drained = on_plain_thread([&] {
    return raw::drain(env.url, names.measurements_stream, names.measurements_subject + ".>",
                      "bench-drain", rows, p.batch);
  });
  env.progress("historian: plain batched insert");
  const auto planned = planned_rows(plan);
  const auto inserted = on_plain_thread([&] {
    return kind == "sqlite" ? plain::sqlite((db.dir / "plain.db").string(), planned, p.batch)
                            : plain::postgres(db.url, "bench_plain", planned, p.batch);
  });

  env.progress("historian: iot-server catching up on " + db.url);
  program_process server(
      {env.server_bin, "--role", "all", "--db", db.url, "--nats-url", env.url, "--batch",
       std::to_string(p.batch), "--http-listen", "127.0.0.1:0", "--quiet"},
      db.dir);
  const auto spawned = clock::now();
  const auto caught = run_coro(env.ioc, catch_up(env, server, rows, spawned, p.catch_up_limit),
                               p.catch_up_limit + 60s);
  const double rate = static_cast<double>(rows) / caught.seconds;
  const double drain_rate = static_cast<double>(drained.messages) / drained.seconds;
  const double insert_rate = static_cast<double>(inserted.rows) / inserted.seconds;
  const double limit = std::min(drain_rate, insert_rate);
  json::object o;
  o["rows"] = rows;
  o["sensors"] = p.sensors;
  o["batch"] = p.batch;
  o["publish_s"] = rounded(publish_s, 1);
  o["seconds"] = rounded(caught.seconds, 2);
  o["rows_per_s"] = rounded(rate, 0);
  o["raw_drain_rows_per_s"] = rounded(drain_rate, 0);
  o["plain_insert_rows_per_s"] = rounded(insert_rate, 0);
  o["plain_insert"] = kind == "sqlite" ? "prepared INSERT OR IGNORE" : "COPY FROM STDIN";
  o["limit"] = drain_rate < insert_rate ? "raw_drain" : "plain_insert";
  o["ratio"] = rounded(ratio(rate, limit), 3);
  o["server_cpu_cores"] = rounded(caught.server_cores, 2);
  o["bytes_per_row"] = rounded(bytes_per_row(caught.stats));
  o["target_rows_per_s"] = catch_up_target(kind);
  o["met"] = rate >= catch_up_target(kind);
  line("catch_up", std::move(o));

  if (p.fleet > 0) {
    env.progress("historian: " + std::to_string(p.fleet) + " sensors at 1 s into " + kind);
    const auto limit_s =
        std::chrono::duration_cast<std::chrono::seconds>(p.fleet_startup_limit) +
        std::chrono::seconds(static_cast<long>(p.lag_seconds + p.lag_settle_seconds)) + 120s;
    line("live_lag", run_coro(env.ioc, live_lag(env, p, server), limit_s));
  }
  const int server_exit = run_coro(env.ioc, stop_program(server, 60s), 90s);
  if (server_exit != 0)
    throw std::runtime_error("iot-server exited with " + std::to_string(server_exit) + ": " +
                             server.stderr_tail());

  if (p.query_rows == 0) return;
  const auto f = run_coro(env.ioc, fill(env, db, p), 3600s);
  if (kind == "postgresql") {
    // What autovacuum does to rows some minutes after they were written
    // (these are seconds old): hint bits set and the visibility map
    // current, so that an index-only scan reads no table page.
    env.progress("historian: VACUUM ANALYZE");
    on_plain_thread([&] {
      plain::postgres_exec(db.url, "VACUUM ANALYZE");
      return 0;
    });
  }
  line("queries", run_coro(env.ioc, queries(db, p, f), 600s));
}

}  // namespace

void run_historian(bench_env& env, const historian_params& p, const emit_fn& emit) {
  for (const auto& kind : p.databases) run_database(env, p, kind, emit);
}

}  // namespace bench
