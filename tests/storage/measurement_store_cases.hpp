// The measurement_store contract as doctest cases, for every backend. A
// backend's test file defines a fixture type and instantiates the cases:
//
//   struct my_fixture {
//     boost::asio::io_context ioc;  // the cases run their coroutines on it
//     // A fresh, empty store (the same one for each call within a case).
//     boost::asio::awaitable<std::shared_ptr<historian::measurement_store>> open();
//   };
//   MEASUREMENT_STORE_CASES(my_fixture);
#pragma once

#include <doctest/doctest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "historian/measurement_store.hpp"
#include "run_async.hpp"

namespace measurement_store_cases {

namespace asio = boost::asio;
using historian::measurement_store;
using historian::stored_measurement;
using std::chrono::milliseconds;

constexpr auto await = asio::as_tuple(asio::use_awaitable);
// 2024-05-01T12:00:00Z: a plausible time, far from the epoch.
constexpr std::int64_t t0 = 1714564800000;

inline iot::clock::time_point at(std::int64_t ms) {
  return iot::clock::time_point(milliseconds(ms));
}

inline stored_measurement row(std::string sensor, std::uint64_t lecture_id, std::int64_t ts_ms,
                              double value, std::uint32_t revision = 1) {
  stored_measurement m;
  m.sensor_id = std::move(sensor);
  m.lecture_id = lecture_id;
  m.revision = revision;
  m.seq = lecture_id;
  m.ts = at(ts_ms);
  m.value = value;
  m.lecture = std::to_string(value);
  m.unit = "celsius";
  m.stream_seq = lecture_id * 10 + revision;
  return m;
}

// Each helper fails the case on an error, showing the database's text.
inline asio::awaitable<historian::write_result> write(measurement_store& s,
                                                      historian::write_batch b) {
  storage::diagnostics diag;
  auto [ec, result] = co_await s.async_write(std::move(b), diag, await);
  INFO(diag.message());
  REQUIRE_FALSE(ec);
  co_return result;
}

inline asio::awaitable<historian::write_result> write(measurement_store& s,
                                                      std::vector<stored_measurement> rows) {
  // Built apart from the co_await: g++ 12 destroys temporaries of a braced
  // initialiser in a co_await expression twice.
  historian::write_batch batch;
  batch.rows = std::move(rows);
  co_return co_await write(s, std::move(batch));
}

inline asio::awaitable<historian::page> range(measurement_store& s, historian::range_query q) {
  storage::diagnostics diag;
  auto [ec, result] = co_await s.async_range(std::move(q), diag, await);
  INFO(diag.message());
  REQUIRE_FALSE(ec);
  co_return result;
}

inline historian::range_query whole(std::string sensor, bool all_revisions = false) {
  historian::range_query q;
  q.sensor_id = std::move(sensor);
  q.from = at(0);
  q.to = at(t0 * 2);
  q.all_revisions = all_revisions;
  return q;
}

inline asio::awaitable<std::vector<historian::bucket>> buckets(measurement_store& s,
                                                               historian::bucket_query q) {
  storage::diagnostics diag;
  auto [ec, result] = co_await s.async_buckets(std::move(q), diag, await);
  INFO(diag.message());
  REQUIRE_FALSE(ec);
  co_return result;
}

inline asio::awaitable<std::vector<stored_measurement>> latest(measurement_store& s) {
  storage::diagnostics diag;
  auto [ec, result] = co_await s.async_latest(diag, await);
  INFO(diag.message());
  REQUIRE_FALSE(ec);
  co_return result;
}

inline asio::awaitable<std::vector<historian::rejected_message>> rejected(measurement_store& s,
                                                                          std::uint64_t after,
                                                                          std::size_t limit) {
  storage::diagnostics diag;
  auto [ec, result] = co_await s.async_rejected(after, limit, diag, await);
  INFO(diag.message());
  REQUIRE_FALSE(ec);
  co_return result;
}

inline asio::awaitable<std::size_t> delete_before(measurement_store& s, std::int64_t cutoff_ms,
                                                  std::size_t max_rows) {
  storage::diagnostics diag;
  auto [ec, result] = co_await s.async_delete_before(at(cutoff_ms), max_rows, diag, await);
  INFO(diag.message());
  REQUIRE_FALSE(ec);
  co_return result;
}

inline asio::awaitable<historian::store_stats> stats(measurement_store& s) {
  storage::diagnostics diag;
  auto [ec, result] = co_await s.async_stats(diag, await);
  INFO(diag.message());
  REQUIRE_FALSE(ec);
  co_return result;
}

inline asio::awaitable<void> close(measurement_store& s) {
  auto [ec] = co_await s.async_close(await);
  REQUIRE_FALSE(ec);
}

inline std::vector<std::tuple<std::uint64_t, std::uint32_t, double>> keys_of(
    const std::vector<stored_measurement>& rows) {
  std::vector<std::tuple<std::uint64_t, std::uint32_t, double>> keys;
  for (const auto& r : rows) keys.emplace_back(r.lecture_id, r.revision, r.value);
  return keys;
}

template <class Fixture, class Body>
void run_case(Body body) {
  Fixture f;
  test_support::run_async(f.ioc, [&]() -> asio::awaitable<void> {
    auto store = co_await f.open();
    REQUIRE(store);
    co_await body(*store);
    co_await close(*store);
  }());
}

}  // namespace measurement_store_cases

TEST_CASE_TEMPLATE_DEFINE("measurement_store: a redelivered batch stores nothing twice", F,
                          store_write_once) {
  using namespace measurement_store_cases;
  run_case<F>([](measurement_store& s) -> asio::awaitable<void> {
    historian::write_batch batch{
        {row("s-1", 1, t0, 20.5), row("s-1", 2, t0 + 1000, 21.0), row("s-2", 1, t0, 5.0)},
        {{7, "sensor.measurements.s-3", "not JSON", "{oops"}}};
    auto first = co_await write(s, batch);
    CHECK(first.inserted == 3);
    CHECK(first.duplicates == 0);
    CHECK(first.rejected == 1);

    auto again = co_await write(s, batch);
    CHECK(again.inserted == 0);
    CHECK(again.duplicates == 3);
    CHECK(again.rejected == 0);

    // Part old, part new: only the new row is stored.
    std::vector<stored_measurement> mixed_rows{row("s-1", 2, t0 + 1000, 21.0),
                                               row("s-1", 3, t0 + 2000, 22)};
    auto mixed = co_await write(s, std::move(mixed_rows));
    CHECK(mixed.inserted == 1);
    CHECK(mixed.duplicates == 1);

    // A repeat within one batch counts once.
    std::vector<stored_measurement> repeated_rows{row("s-2", 2, t0 + 1000, 6),
                                                  row("s-2", 2, t0 + 1000, 6)};
    auto within = co_await write(s, std::move(repeated_rows));
    CHECK(within.inserted == 1);
    CHECK(within.duplicates == 1);

    auto page = co_await range(s, whole("s-1"));
    CHECK(page.rows.size() == 3);
    auto st = co_await stats(s);
    CHECK(st.measurements == 5);
    CHECK(st.rejected == 1);
  });
}

TEST_CASE_TEMPLATE_DEFINE(
    "measurement_store: a correction is a new row; queries show the latest revision unless "
    "all_revisions",
    F, store_corrections) {
  using namespace measurement_store_cases;
  run_case<F>([](measurement_store& s) -> asio::awaitable<void> {
    std::vector<stored_measurement> originals{row("s-1", 1, t0, 10), row("s-1", 2, t0 + 1000, 20)};
    co_await write(s, std::move(originals));
    std::vector<stored_measurement> correction{row("s-1", 1, t0, 11, 2)};
    auto corrected = co_await write(s, std::move(correction));
    CHECK(corrected.inserted == 1);
    CHECK(corrected.duplicates == 0);
    // A second correction, and an old revision redelivered late.
    std::vector<stored_measurement> more_corrections{row("s-1", 1, t0, 12, 3),
                                                     row("s-1", 1, t0, 10, 1)};
    co_await write(s, std::move(more_corrections));

    using key = std::tuple<std::uint64_t, std::uint32_t, double>;
    auto latest_only = co_await range(s, whole("s-1"));
    CHECK(keys_of(latest_only.rows) == std::vector<key>{{1, 3, 12.0}, {2, 1, 20.0}});

    auto every = co_await range(s, whole("s-1", true));
    CHECK(keys_of(every.rows) ==
          std::vector<key>{{1, 1, 10.0}, {1, 2, 11.0}, {1, 3, 12.0}, {2, 1, 20.0}});

    // A revision that arrives before the one it corrects still hides it.
    std::vector<stored_measurement> early_correction{row("s-1", 5, t0 + 5000, 51, 2)};
    co_await write(s, std::move(early_correction));
    std::vector<stored_measurement> late_original{row("s-1", 5, t0 + 5000, 50, 1)};
    co_await write(s, std::move(late_original));
    auto out_of_order = co_await range(s, whole("s-1"));
    CHECK(keys_of(out_of_order.rows) == std::vector<key>{{1, 3, 12.0}, {2, 1, 20.0}, {5, 2, 51.0}});

    historian::bucket_query q{"s-1", at(t0), at(t0 + 10'000), milliseconds(10'000)};
    auto b = co_await buckets(s, q);
    REQUIRE(b.size() == 1);
    CHECK(b[0].count == 3);
    CHECK(b[0].min == 12.0);
    CHECK(b[0].max == 51.0);
    CHECK(b[0].last == 51.0);  // the corrected lecture is the bucket's last

    auto l = co_await latest(s);
    REQUIRE(l.size() == 1);
    CHECK(l[0].lecture_id == 5);
    CHECK(l[0].revision == 2);
    CHECK(l[0].value == 51.0);

    auto st = co_await stats(s);
    CHECK(st.measurements == 6);  // every revision
  });
}

TEST_CASE_TEMPLATE_DEFINE("measurement_store: rejected messages are stored once per stream_seq", F,
                          store_rejected) {
  using namespace measurement_store_cases;
  run_case<F>([](measurement_store& s) -> asio::awaitable<void> {
    const std::string binary("\x00\xff{\"a\":", 7);
    historian::write_batch batch;
    batch.rejected = {{5, "sensor.measurements.a", "bad value", binary},
                      {3, "sensor.measurements.b", "missing lecture_id", "{}"},
                      {9, "sensor.measurements.c", "not JSON", "x"}};
    auto first = co_await write(s, batch);
    CHECK(first.rejected == 3);

    historian::write_batch repeat;
    repeat.rejected = {{5, "sensor.measurements.a", "bad value", binary},
                       {11, "sensor.measurements.d", "not JSON", "y"}};
    auto second = co_await write(s, repeat);
    CHECK(second.rejected == 1);

    auto all = co_await rejected(s, 0, 100);
    REQUIRE(all.size() == 4);
    CHECK(all[0].stream_seq == 3);
    CHECK(all[1] == historian::rejected_message{5, "sensor.measurements.a", "bad value", binary});
    CHECK(all[2].stream_seq == 9);
    CHECK(all[3].stream_seq == 11);

    auto after = co_await rejected(s, 5, 1);
    REQUIRE(after.size() == 1);
    CHECK(after[0].stream_seq == 9);

    const auto after_repeat = co_await stats(s);
    CHECK(after_repeat.rejected == 4);
  });
}

TEST_CASE_TEMPLATE_DEFINE("measurement_store: a range is [from, to) of one sensor", F,
                          store_range_bounds) {
  using namespace measurement_store_cases;
  run_case<F>([](measurement_store& s) -> asio::awaitable<void> {
    std::vector<stored_measurement> rows;
    for (std::uint64_t i = 0; i < 5; ++i) {
      rows.push_back(row("s-1", i + 1, t0 + std::int64_t(i) * 1000, double(i)));
      rows.push_back(row("s-2", i + 1, t0 + std::int64_t(i) * 1000, 100.0 + double(i)));
    }
    co_await write(s, rows);

    historian::range_query q;
    q.sensor_id = "s-1";
    q.from = at(t0 + 1000);
    q.to = at(t0 + 3000);
    auto page = co_await range(s, q);
    REQUIRE(page.rows.size() == 2);
    CHECK(page.rows[0] == rows[2]);
    CHECK(page.rows[1] == rows[4]);
    CHECK_FALSE(page.next);

    q.sensor_id = "unknown";
    const auto unknown_sensor = co_await range(s, q);
    CHECK(unknown_sensor.rows.empty());
    q.sensor_id = "s-1";
    q.from = q.to = at(t0 + 1000);
    const auto empty_range = co_await range(s, q);
    CHECK(empty_range.rows.empty());
  });
}

TEST_CASE_TEMPLATE_DEFINE("measurement_store: paging with the cursor returns every row once", F,
                          store_paging) {
  using namespace measurement_store_cases;
  run_case<F>([](measurement_store& s) -> asio::awaitable<void> {
    // 21 rows; pairs share a timestamp, so the cursor must order by lecture_id too.
    std::vector<stored_measurement> rows;
    for (std::uint64_t i = 0; i < 21; ++i) {
      rows.push_back(row("s-1", 100 - i, t0 + std::int64_t(i / 2) * 1000, double(i)));
    }
    co_await write(s, rows);
    auto expected = rows;
    std::sort(expected.begin(), expected.end(), [](const auto& a, const auto& b) {
      return std::tie(a.ts, a.lecture_id) < std::tie(b.ts, b.lecture_id);
    });

    auto q = whole("s-1");
    q.limit = 7;
    std::vector<stored_measurement> seen;
    std::vector<std::size_t> sizes;
    for (int pages = 0; pages < 10; ++pages) {
      auto page = co_await range(s, q);
      sizes.push_back(page.rows.size());
      seen.insert(seen.end(), page.rows.begin(), page.rows.end());
      if (!page.next) break;
      // As a client would: through the opaque token.
      q.after = historian::decode_cursor(historian::encode_cursor(*page.next));
      REQUIRE(q.after);
    }
    // Three full pages set `next`; the fourth is empty and ends the walk.
    CHECK(sizes == std::vector<std::size_t>{7, 7, 7, 0});
    CHECK(seen == expected);
  });
}

TEST_CASE_TEMPLATE_DEFINE("measurement_store: buckets give min, max, avg, count and last", F,
                          store_buckets) {
  using namespace measurement_store_cases;
  run_case<F>([](measurement_store& s) -> asio::awaitable<void> {
    std::vector<stored_measurement> rows{
        row("s-1", 1, t0 - 1, 99),  // before `from`
        row("s-1", 2, t0, 1), row("s-1", 3, t0 + 4000, 5), row("s-1", 4, t0 + 9999, 3),
        // t0 + 10 000 ... 19 999: nothing
        row("s-1", 5, t0 + 20'000, 7), row("s-1", 6, t0 + 25'000, -2),
        row("s-1", 7, t0 + 30'000, 42),  // at `to`
        row("s-2", 1, t0 + 1000, 1000),  // another sensor
    };
    co_await write(s, rows);
    historian::bucket_query q{"s-1", at(t0), at(t0 + 30'000), milliseconds(10'000)};
    auto b = co_await buckets(s, q);
    REQUIRE(b.size() == 2);
    CHECK(b[0] == historian::bucket{at(t0), 1, 5, 3, 3, 3});
    CHECK(b[1] == historian::bucket{at(t0 + 20'000), -2, 7, 2.5, 2, -2});

    // A `to` inside a bucket ends that bucket there.
    q.to = at(t0 + 25'000);
    const auto cut = co_await buckets(s, q);
    REQUIRE(cut.size() == 2);
    CHECK(cut[1] == historian::bucket{at(t0 + 20'000), 7, 7, 7, 1, 7});

    // Very many buckets (30 000 of 1 ms), mostly empty: only the full ones.
    q.to = at(t0 + 30'000);
    q.step = milliseconds(1);
    const auto fine = co_await buckets(s, q);
    REQUIRE(fine.size() == 5);
    CHECK(fine[0] == historian::bucket{at(t0), 1, 1, 1, 1, 1});
    CHECK(fine[4] == historian::bucket{at(t0 + 25'000), -2, -2, -2, 1, -2});

    q.step = milliseconds(10'000);
    q.sensor_id = "unknown";
    const auto unknown_buckets = co_await buckets(s, q);
    CHECK(unknown_buckets.empty());
  });
}

TEST_CASE_TEMPLATE_DEFINE("measurement_store: latest gives each sensor's newest row by sensor_id",
                          F, store_latest) {
  using namespace measurement_store_cases;
  run_case<F>([](measurement_store& s) -> asio::awaitable<void> {
    const auto none_yet = co_await latest(s);
    CHECK(none_yet.empty());
    std::vector<stored_measurement> first_rows{row("b", 1, t0, 1), row("b", 2, t0 + 2000, 2),
                                               row("a", 1, t0 + 5000, 3),
                                               row("c", 9, t0 + 1000, 4)};
    co_await write(s, std::move(first_rows));
    // Older than b's latest, in a later batch: b's latest stays.
    std::vector<stored_measurement> later_rows{row("b", 3, t0 + 1000, 5),
                                               row("a", 2, t0 + 6000, 6)};
    co_await write(s, std::move(later_rows));

    auto l = co_await latest(s);
    REQUIRE(l.size() == 3);
    CHECK(l[0] == row("a", 2, t0 + 6000, 6));
    CHECK(l[1] == row("b", 2, t0 + 2000, 2));
    CHECK(l[2] == row("c", 9, t0 + 1000, 4));
  });
}

TEST_CASE_TEMPLATE_DEFINE(
    "measurement_store: delete_before removes only older rows, at most max_rows per call", F,
    store_delete_before) {
  using namespace measurement_store_cases;
  run_case<F>([](measurement_store& s) -> asio::awaitable<void> {
    std::vector<stored_measurement> rows;
    for (std::uint64_t i = 0; i < 5; ++i) {
      rows.push_back(row("a", i + 1, t0 + std::int64_t(i) * 1000, double(i)));
      rows.push_back(row("b", i + 1, t0 + std::int64_t(i) * 1000, double(i)));
    }
    rows.push_back(row("c", 1, t0, 0));  // all of c is old
    co_await write(s, rows);

    const auto cutoff = t0 + 3000;  // 3 old rows of a, 3 of b, 1 of c
    const auto first_call = co_await delete_before(s, cutoff, 4);
    CHECK(first_call == 4);
    const auto after_first = co_await stats(s);
    CHECK(after_first.measurements == 7);
    const auto second_call = co_await delete_before(s, cutoff, 4);
    CHECK(second_call == 3);
    const auto third_call = co_await delete_before(s, cutoff, 4);
    CHECK(third_call == 0);

    for (const char* sensor : {"a", "b"}) {
      auto page = co_await range(s, whole(sensor));
      REQUIRE(page.rows.size() == 2);
      CHECK(page.rows[0].ts == at(t0 + 3000));
      CHECK(page.rows[1].ts == at(t0 + 4000));
    }
    auto st = co_await stats(s);
    CHECK(st.measurements == 4);
    CHECK(st.sensors == 2);  // c has no rows left
    auto l = co_await latest(s);
    REQUIRE(l.size() == 2);
    CHECK(l[0].sensor_id == "a");
    CHECK(l[1].sensor_id == "b");
  });
}

TEST_CASE_TEMPLATE_DEFINE("measurement_store: stats count rows, rejected, sensors and bytes", F,
                          store_stats) {
  using namespace measurement_store_cases;
  run_case<F>([](measurement_store& s) -> asio::awaitable<void> {
    auto empty = co_await stats(s);
    CHECK(empty.measurements == 0);
    CHECK(empty.rejected == 0);
    CHECK(empty.sensors == 0);

    historian::write_batch batch;
    for (std::uint64_t i = 0; i < 30; ++i) {
      batch.rows.push_back(row("s-" + std::to_string(i % 3), i + 1, t0 + std::int64_t(i), 1.0));
    }
    batch.rows.push_back(row("s-0", 1, t0, 2.0, 2));  // a correction is a row too
    batch.rejected = {{1, "x", "bad", "p"}, {2, "y", "bad", "q"}};
    co_await write(s, batch);

    auto st = co_await stats(s);
    CHECK(st.measurements == 31);
    CHECK(st.rejected == 2);
    CHECK(st.sensors == 3);
    CHECK(st.bytes > 0);
  });
}

#define MEASUREMENT_STORE_CASES(fixture)                   \
  TEST_CASE_TEMPLATE_INVOKE(store_write_once, fixture);    \
  TEST_CASE_TEMPLATE_INVOKE(store_corrections, fixture);   \
  TEST_CASE_TEMPLATE_INVOKE(store_rejected, fixture);      \
  TEST_CASE_TEMPLATE_INVOKE(store_range_bounds, fixture);  \
  TEST_CASE_TEMPLATE_INVOKE(store_paging, fixture);        \
  TEST_CASE_TEMPLATE_INVOKE(store_buckets, fixture);       \
  TEST_CASE_TEMPLATE_INVOKE(store_latest, fixture);        \
  TEST_CASE_TEMPLATE_INVOKE(store_delete_before, fixture); \
  TEST_CASE_TEMPLATE_INVOKE(store_stats, fixture)
