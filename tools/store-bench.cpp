// Measures the SQLite measurement store by hand (a tool, not a test: nothing
// here is asserted): the catch-up ingest rate in batches of 5 000 rows from
// 1 000 sensors, then, on a database filled to about 10 M rows, the latency
// of a day in 1 000 buckets, an hour of raw rows and the latest of 10 000
// sensors. Usage: store-bench DIR [ingest_rows] [fill_rows] [queries|warm]
// ("queries": only the queries, on a database filled before, each on another
// sensor, so mostly pages not yet cached; "warm": the same, on one sensor).
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "open_sqlite_store.hpp"

namespace asio = boost::asio;
using historian::stored_measurement;
using std::chrono::milliseconds;
using steady = std::chrono::steady_clock;

namespace {

constexpr auto await = asio::as_tuple(asio::use_awaitable);
constexpr std::int64_t day_start = 1714521600000;  // 2024-05-01T00:00:00Z

stored_measurement make(const std::string& sensor, std::uint64_t n, std::int64_t ts) {
  stored_measurement m;
  m.sensor_id = sensor;
  m.lecture_id = n;
  m.seq = n;
  m.ts = iot::clock::time_point(milliseconds(ts));
  m.value = 20.0 + double(n % 100) / 10.0;
  m.lecture = std::to_string(m.value).substr(0, 5);
  m.unit = "celsius";
  m.stream_seq = n;
  return m;
}

// CPU seconds of the whole process (every thread) so far: on a shared
// machine, what the work cost rather than how long it waited for a core.
double cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto seconds = [](const timeval& t) { return double(t.tv_sec) + double(t.tv_usec) / 1e6; };
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}

double ms_since(steady::time_point start) {
  return std::chrono::duration<double, std::milli>(steady::now() - start).count();
}

// The median wall-clock time of `runs` calls; prints the mean CPU time too.
template <class Op>
asio::awaitable<double> median_ms(const char* name, int runs, Op op) {
  std::vector<double> times;
  const auto cpu_start = cpu_seconds();
  for (int i = 0; i < runs; ++i) {
    const auto start = steady::now();
    co_await op(i);
    times.push_back(ms_since(start));
  }
  std::sort(times.begin(), times.end());
  std::printf("  %s: p50 %.1f ms, CPU %.1f ms per query\n", name, times[times.size() / 2],
              (cpu_seconds() - cpu_start) * 1000 / runs);
  co_return times[times.size() / 2];
}

// `sensors` sensors, `per_batch / sensors` rows each per batch, one second apart.
asio::awaitable<double> ingest(historian::measurement_store& store, std::string prefix,
                               std::size_t sensors, std::size_t rows, std::size_t per_batch,
                               std::uint64_t& stream_seq) {
  storage::diagnostics diag;
  const std::size_t per_sensor = per_batch / sensors;
  const auto start = steady::now();
  const auto cpu_start = cpu_seconds();
  for (std::size_t done = 0, step = 0; done < rows; done += per_batch, ++step) {
    historian::write_batch batch;
    batch.rows.reserve(per_batch);
    for (std::size_t k = 0; k < per_sensor; ++k) {
      const std::uint64_t n = step * per_sensor + k;
      for (std::size_t s = 0; s < sensors; ++s) {
        auto m = make(prefix + std::to_string(s), n + 1, day_start + std::int64_t(n) * 1000);
        m.stream_seq = ++stream_seq;
        batch.rows.push_back(std::move(m));
      }
    }
    auto [ec, result] = co_await store.async_write(std::move(batch), diag, await);
    if (ec) {
      std::fprintf(stderr, "write: %s\n", diag.message().c_str());
      std::exit(1);
    }
  }
  std::printf("  %zu rows: %.0f rows/s, %.0f rows per CPU second\n", rows,
              double(rows) / (ms_since(start) / 1000.0),
              double(rows) / (cpu_seconds() - cpu_start));
  co_return double(rows) / (ms_since(start) / 1000.0);
}

asio::awaitable<void> run(std::string dir, std::size_t ingest_rows, std::size_t fill_rows,
                          bool queries_only, bool warm) {
  auto ex = co_await asio::this_coro::executor;
  storage::diagnostics diag;
  auto [ec, store] =
      co_await test_support::async_open_sqlite_store(ex, dir + "/bench.db", diag, await);
  if (ec) {
    std::fprintf(stderr, "open: %s\n", diag.message().c_str());
    std::exit(1);
  }
  std::uint64_t stream_seq = 0;
  if (!queries_only) {
    const double rate = co_await ingest(*store, "ingest-", 1000, ingest_rows, 5000, stream_seq);
    std::printf("ingest: %zu rows from 1000 sensors in batches of 5000: %.0f rows/s\n", ingest_rows,
                rate);
  }

  // Sensors with a whole day at 1 s, then 10 000 sensors with a few rows.
  const std::size_t day_sensors = std::max<std::size_t>(1, fill_rows / 86'400);
  if (fill_rows > 0 && !queries_only) {
    const double fill_rate = co_await ingest(*store, "day-", day_sensors, day_sensors * 86'400,
                                             day_sensors * 50, stream_seq);
    co_await ingest(*store, "many-", 10'000, 100'000, 10'000, stream_seq);
    auto [sec, st] = co_await store->async_stats(diag, await);
    std::printf("filled at %.0f rows/s: %llu rows, %llu sensors, %.0f MB\n", fill_rate,
                (unsigned long long)st.measurements, (unsigned long long)st.sensors,
                double(st.bytes) / 1e6);
  }
  if (fill_rows > 0) {
    const auto day = iot::clock::time_point(milliseconds(day_start));
    const double buckets_ms =
        co_await median_ms("day in 1000 buckets", 21, [&](int i) -> asio::awaitable<void> {
          historian::bucket_query q{"day-" + std::to_string(warm ? 0 : i % day_sensors), day,
                                    day + std::chrono::hours(24), milliseconds(86'400)};
          auto [e, b] = co_await store->async_buckets(q, diag, await);
          if (e || b.size() != 1000) std::fprintf(stderr, "buckets: %zu\n", b.size());
        });
    const double hour_ms =
        co_await median_ms("one hour raw", 21, [&](int i) -> asio::awaitable<void> {
          historian::range_query q;
          q.sensor_id = "day-" + std::to_string(warm ? 0 : i % day_sensors);
          q.from = day + std::chrono::hours(i % 24);
          q.to = q.from + std::chrono::hours(1);
          q.limit = 3600;
          auto [e, p] = co_await store->async_range(q, diag, await);
          if (e || p.rows.size() != 3600) std::fprintf(stderr, "range: %zu\n", p.rows.size());
        });
    const double latest_ms = co_await median_ms("latest", 11, [&](int) -> asio::awaitable<void> {
      auto [e, l] = co_await store->async_latest(diag, await);
      if (e || l.size() < 10'000) std::fprintf(stderr, "latest: %zu\n", l.size());
    });
    std::printf("p50: day in 1000 buckets %.1f ms, one hour raw %.1f ms, latest of %s %.1f ms\n",
                buckets_ms, hour_ms, "all sensors", latest_ms);
  }
  co_await store->async_close(await);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: store-bench DIR [ingest_rows] [fill_rows]\n");
    return 2;
  }
  const std::size_t ingest_rows = argc > 2 ? std::stoul(argv[2]) : 1'000'000;
  const std::size_t fill_rows = argc > 3 ? std::stoul(argv[3]) : 0;
  const std::string mode = argc > 4 ? argv[4] : "";
  const bool warm = mode == "warm";
  const bool queries_only = warm || mode == "queries";
  asio::io_context ioc;
  asio::co_spawn(ioc, run(argv[1], ingest_rows, fill_rows, queries_only, warm),
                 [](std::exception_ptr e) {
                   if (e) std::rethrow_exception(e);
                 });
  ioc.run();
}
