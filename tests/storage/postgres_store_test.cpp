// historian's PostgreSQL store against a throwaway PostgreSQL server.
#include <doctest/doctest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "historian/open_store.hpp"
#include "measurement_store_cases.hpp"
#include "postgres_server.hpp"
#include "run_async.hpp"
#include "storage/error.hpp"
#include "storage/postgres/connection.hpp"

namespace asio = boost::asio;
namespace pg = storage::postgres;
using boost::system::error_code;
using historian::measurement_store;
using historian::stored_measurement;
using std::chrono::milliseconds;
using namespace std::chrono_literals;

namespace {

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
using store_ptr = std::shared_ptr<measurement_store>;

storage::database_url url_of(const test_support::postgres_server& server) {
  std::string error;
  auto url = storage::parse_database_url(server.url(), error);
  REQUIRE_MESSAGE(url, error);
  return *url;
}

asio::awaitable<std::tuple<error_code, store_ptr>> open(const storage::database_url& url,
                                                        storage::diagnostics& diag,
                                                        std::size_t readers = 2) {
  auto ex = co_await asio::this_coro::executor;
  co_return co_await asio::async_initiate<decltype(tuple_awaitable), void(error_code, store_ptr)>(
      [&](auto h) {
        historian::detail::open_postgres_store(ex, url, {.readers = readers}, &diag, std::move(h));
      },
      tuple_awaitable);
}

asio::awaitable<store_ptr> open_ok(const storage::database_url& url, std::size_t readers = 2) {
  storage::diagnostics diag;
  auto [ec, store] = co_await open(url, diag, readers);
  REQUIRE_MESSAGE(!ec, (ec.message() + ": " + diag.message()));
  co_return store;
}

stored_measurement row(std::string sensor, std::uint64_t lecture, std::uint32_t revision,
                       std::int64_t ts_ms, double value, std::uint64_t stream_seq) {
  stored_measurement m;
  m.sensor_id = std::move(sensor);
  m.lecture_id = lecture;
  m.revision = revision;
  m.seq = lecture;
  m.ts = iot::clock::time_point(milliseconds(ts_ms));
  m.value = value;
  m.lecture = "temperature";
  m.unit = "C";
  m.stream_seq = stream_seq;
  return m;
}

iot::clock::time_point at(std::int64_t ms) { return iot::clock::time_point(milliseconds(ms)); }

historian::range_query range(std::string sensor, std::int64_t from_ms, std::int64_t to_ms,
                             std::size_t limit = 1000) {
  historian::range_query q;
  q.sensor_id = std::move(sensor);
  q.from = at(from_ms);
  q.to = at(to_ms);
  q.limit = limit;
  return q;
}

asio::awaitable<historian::write_result> write_ok(measurement_store& store,
                                                  historian::write_batch batch) {
  storage::diagnostics diag;
  auto [ec, result] = co_await store.async_write(std::move(batch), diag, tuple_awaitable);
  REQUIRE_MESSAGE(!ec, (ec.message() + ": " + diag.message()));
  co_return result;
}

asio::awaitable<pg::result> sql(const std::string& url, std::string text) {
  pg::connection c(co_await asio::this_coro::executor, url);
  storage::diagnostics diag;
  auto [ec, r] = co_await c.async_query(std::move(text), {}, diag, tuple_awaitable);
  REQUIRE_MESSAGE(!ec, diag.message());
  co_return std::move(r);
}

asio::awaitable<void> close(measurement_store& store) {
  auto [ec] = co_await store.async_close(tuple_awaitable);
  CHECK(!ec);
}

// The contract every store keeps (measurement_store_cases.hpp), on a fresh
// PostgreSQL server per case.
struct postgres_fixture {
  test_support::postgres_server server;
  asio::io_context ioc;

  asio::awaitable<store_ptr> open() {
    const auto url = url_of(server);  // lives in this frame while open_ok runs
    co_return co_await open_ok(url);
  }
};

}  // namespace

MEASUREMENT_STORE_CASES(postgres_fixture);

TEST_CASE("the schema is migrated once; reopening finds it current") {
  test_support::postgres_server server;
  asio::io_context ioc;
  const auto url = url_of(server);
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    auto first = co_await open_ok(url);
    CHECK(first->name() == url.masked);
    co_await close(*first);
    auto second = co_await open_ok(url);
    co_await close(*second);
    auto r = co_await sql(server.url(), "SELECT count(*), max(version) FROM schema_version");
    CHECK(r.get<std::int64_t>(0, 0) == 1);
    CHECK(r.get<std::int32_t>(0, 1) == 1);
  }());
}

TEST_CASE("a database migrated by a newer program is refused with the plan's reason") {
  test_support::postgres_server server;
  asio::io_context ioc;
  const auto url = url_of(server);
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    co_await sql(server.url(),
                 "CREATE TABLE schema_version (version integer NOT NULL);"
                 "INSERT INTO schema_version VALUES (99)");
    storage::diagnostics diag;
    auto [ec, store] = co_await open(url, diag);
    CHECK(ec == storage::errc::schema_too_new);
    CHECK(store == nullptr);
    CHECK(diag.message().find("version 99") != std::string::npos);
    CHECK(diag.message().find("newer than this program") != std::string::npos);
  }());
}

TEST_CASE("two stores opening one empty database at once migrate it once") {
  test_support::postgres_server server;
  asio::io_context ioc;
  const auto url = url_of(server);
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    using namespace asio::experimental::awaitable_operators;
    auto [a, b] = co_await (open_ok(url) && open_ok(url));
    co_await close(*a);
    co_await close(*b);
    auto r = co_await sql(server.url(), "SELECT count(*) FROM schema_version");
    CHECK(r.get<std::int64_t>(0, 0) == 1);
  }());
}

TEST_CASE("a redelivered batch is counted as duplicates and stored once") {
  test_support::postgres_server server;
  asio::io_context ioc;
  const auto url = url_of(server);
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    auto store = co_await open_ok(url);
    historian::write_batch batch;
    batch.rows = {row("s-1", 1, 1, 1000, 1.5, 1), row("s-1", 2, 1, 2000, 2.5, 2),
                  row("s-2", 1, 1, 1500, -3.25, 3)};
    auto first = co_await write_ok(*store, batch);
    CHECK(first.inserted == 3);
    CHECK(first.duplicates == 0);
    batch.rows.push_back(row("s-2", 2, 1, 2500, 4, 4));
    auto again = co_await write_ok(*store, batch);
    CHECK(again.inserted == 1);
    CHECK(again.duplicates == 3);

    storage::diagnostics diag;
    auto [ec, stats] = co_await store->async_stats(diag, tuple_awaitable);
    REQUIRE_MESSAGE(!ec, diag.message());
    CHECK(stats.measurements == 4);
    CHECK(stats.sensors == 2);
    CHECK(stats.rejected == 0);
    CHECK(stats.bytes > 0);

    auto q = range("s-1", 0, 10'000);
    auto [ec2, p] = co_await store->async_range(q, diag, tuple_awaitable);
    REQUIRE_MESSAGE(!ec2, diag.message());
    REQUIRE(p.rows.size() == 2);
    CHECK(p.rows[0] == batch.rows[0]);
    CHECK(p.rows[1] == batch.rows[1]);
    CHECK(!p.next);
    co_await close(*store);
  }());
}

TEST_CASE("corrections: queries give the latest revision unless all are asked for") {
  test_support::postgres_server server;
  asio::io_context ioc;
  const auto url = url_of(server);
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    auto store = co_await open_ok(url);
    historian::write_batch first;
    first.rows = {row("s", 1, 1, 1000, 10, 1), row("s", 2, 1, 2000, 20, 2)};
    co_await write_ok(*store, first);
    historian::write_batch correction;
    correction.rows = {row("s", 2, 2, 2000, 21, 3)};
    co_await write_ok(*store, correction);
    // Revision 1 of lecture 2 again, late: it must not win over revision 2.
    historian::write_batch late;
    late.rows = {row("s", 2, 1, 2000, 20, 2), row("s", 1, 3, 1000, 13, 4),
                 row("s", 1, 2, 1000, 12, 5)};
    auto w = co_await write_ok(*store, late);
    CHECK(w.inserted == 2);
    CHECK(w.duplicates == 1);

    storage::diagnostics diag;
    auto q = range("s", 0, 10'000);
    auto [ec, current] = co_await store->async_range(q, diag, tuple_awaitable);
    REQUIRE_MESSAGE(!ec, diag.message());
    REQUIRE(current.rows.size() == 2);
    CHECK(current.rows[0].revision == 3);
    CHECK(current.rows[0].value == 13);
    CHECK(current.rows[1].revision == 2);
    CHECK(current.rows[1].value == 21);

    q.all_revisions = true;
    auto [ec2, all] = co_await store->async_range(q, diag, tuple_awaitable);
    REQUIRE_MESSAGE(!ec2, diag.message());
    REQUIRE(all.rows.size() == 5);
    CHECK(all.rows[0].revision == 1);
    CHECK(all.rows[2].revision == 3);

    auto [ec3, latest] = co_await store->async_latest(diag, tuple_awaitable);
    REQUIRE_MESSAGE(!ec3, diag.message());
    REQUIRE(latest.size() == 1);
    CHECK(latest[0].lecture_id == 2);
    CHECK(latest[0].revision == 2);
    CHECK(latest[0].value == 21);

    historian::bucket_query bq{.sensor_id = "s", .from = at(0), .to = at(10'000), .step = 10'000ms};
    auto [ec4, buckets] = co_await store->async_buckets(bq, diag, tuple_awaitable);
    REQUIRE_MESSAGE(!ec4, diag.message());
    REQUIRE(buckets.size() == 1);
    CHECK(buckets[0].count == 2);
    CHECK(buckets[0].min == 13);
    CHECK(buckets[0].max == 21);
    CHECK(buckets[0].last == 21);
    co_await close(*store);
  }());
}

TEST_CASE("rejected messages are kept once per stream_seq with their bytes, read in order") {
  test_support::postgres_server server;
  asio::io_context ioc;
  const auto url = url_of(server);
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    auto store = co_await open_ok(url);
    const std::string payload("{\"v\":\0\xff}", 8);
    historian::write_batch batch;
    batch.rejected = {{7, "iot.m.s-1", "not JSON", payload}, {3, "iot.m.s-2", "no unit", "{}"}};
    auto w1 = co_await write_ok(*store, batch);
    CHECK(w1.rejected == 2);
    batch.rejected.push_back({9, "iot.m.s-3", "bad \"ts\"", ""});
    auto w2 = co_await write_ok(*store, batch);
    CHECK(w2.rejected == 1);

    storage::diagnostics diag;
    auto [ec, all] = co_await store->async_rejected(0, 10, diag, tuple_awaitable);
    REQUIRE_MESSAGE(!ec, diag.message());
    REQUIRE(all.size() == 3);
    CHECK(all[0].stream_seq == 3);
    CHECK(all[1] == batch.rejected[0]);
    CHECK(all[2] == batch.rejected[2]);
    auto [ec2, after] = co_await store->async_rejected(3, 1, diag, tuple_awaitable);
    REQUIRE_MESSAGE(!ec2, diag.message());
    REQUIRE(after.size() == 1);
    CHECK(after[0].stream_seq == 7);
    co_await close(*store);
  }());
}

TEST_CASE("range pages follow (ts, lecture_id, revision) with a cursor set on full pages") {
  test_support::postgres_server server;
  asio::io_context ioc;
  const auto url = url_of(server);
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    auto store = co_await open_ok(url);
    historian::write_batch batch;
    // Two lectures share each timestamp: the lecture_id breaks the tie.
    for (std::uint64_t i = 0; i < 10; ++i) {
      batch.rows.push_back(
          row("s", 100 - i, 1, 1000 * static_cast<std::int64_t>(i / 2), 1.0 * i, i));
    }
    batch.rows.push_back(row("other", 1, 1, 500, 0, 99));
    co_await write_ok(*store, batch);

    storage::diagnostics diag;
    auto q = range("s", 0, 100'000, 4);
    std::vector<stored_measurement> seen;
    int pages = 0;
    for (;;) {
      auto [ec, p] = co_await store->async_range(q, diag, tuple_awaitable);
      REQUIRE_MESSAGE(!ec, diag.message());
      ++pages;
      seen.insert(seen.end(), p.rows.begin(), p.rows.end());
      if (!p.next) break;
      CHECK(p.rows.size() == 4);
      q.after = p.next;
    }
    CHECK(pages == 3);
    REQUIRE(seen.size() == 10);
    for (std::size_t i = 1; i < seen.size(); ++i) {
      const auto& a = seen[i - 1];
      const auto& b = seen[i];
      CHECK((a.ts < b.ts || (a.ts == b.ts && a.lecture_id < b.lecture_id)));
    }
    // [from, to) bounds.
    q = range("s", 1000, 3000);
    auto [ec, bounded] = co_await store->async_range(q, diag, tuple_awaitable);
    REQUIRE_MESSAGE(!ec, diag.message());
    CHECK(bounded.rows.size() == 4);
    // Unknown sensors have no rows.
    q.sensor_id = "nobody";
    auto [ec2, none] = co_await store->async_range(q, diag, tuple_awaitable);
    REQUIRE_MESSAGE(!ec2, diag.message());
    CHECK(none.rows.empty());
    co_await close(*store);
  }());
}

TEST_CASE("buckets aggregate from + k * step, leave empty buckets out, and keep the last value") {
  test_support::postgres_server server;
  asio::io_context ioc;
  const auto url = url_of(server);
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    auto store = co_await open_ok(url);
    historian::write_batch batch;
    batch.rows = {row("s", 1, 1, 1000, 5, 1),  row("s", 2, 1, 1500, 1, 2),
                  row("s", 3, 1, 1900, 3, 3),  row("s", 4, 1, 4200, 7, 4),
                  row("s", 5, 1, 999, 100, 5), row("s", 6, 1, 5000, 100, 6)};
    co_await write_ok(*store, batch);
    storage::diagnostics diag;
    historian::bucket_query q{.sensor_id = "s", .from = at(1000), .to = at(5000), .step = 1000ms};
    auto [ec, b] = co_await store->async_buckets(q, diag, tuple_awaitable);
    REQUIRE_MESSAGE(!ec, diag.message());
    REQUIRE(b.size() == 2);
    CHECK(b[0] == historian::bucket{at(1000), 1, 5, 3, 3, 3});
    CHECK(b[1] == historian::bucket{at(4000), 7, 7, 7, 1, 7});
    co_await close(*store);
  }());
}

TEST_CASE("latest gives every sensor's newest measurement, ordered by sensor_id") {
  test_support::postgres_server server;
  asio::io_context ioc;
  const auto url = url_of(server);
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    auto store = co_await open_ok(url);
    historian::write_batch one, two;
    one.rows = {row("b", 1, 1, 1000, 1, 1), row("b", 2, 1, 3000, 2, 2), row("a", 1, 1, 500, 3, 3),
                row("Z", 1, 1, 700, 4, 4)};
    two.rows = {row("b", 3, 1, 2000, 5, 5), row("a", 2, 1, 600, 6, 6)};
    co_await write_ok(*store, one);
    co_await write_ok(*store, two);  // older than b's newest: b keeps it
    storage::diagnostics diag;
    auto [ec, latest] = co_await store->async_latest(diag, tuple_awaitable);
    REQUIRE_MESSAGE(!ec, diag.message());
    REQUIRE(latest.size() == 3);
    CHECK(latest[0] == one.rows[3]);
    CHECK(latest[1] == two.rows[1]);
    CHECK(latest[2] == one.rows[1]);
    co_await close(*store);
  }());
}

TEST_CASE("delete_before removes at most max_rows older rows per call") {
  test_support::postgres_server server;
  asio::io_context ioc;
  const auto url = url_of(server);
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    auto store = co_await open_ok(url);
    historian::write_batch batch;
    for (std::uint64_t i = 0; i < 10; ++i) {
      batch.rows.push_back(
          row(i % 2 ? "odd" : "even", i, 1, static_cast<std::int64_t>(i) * 1000, 1.0 * i, i));
    }
    co_await write_ok(*store, batch);
    storage::diagnostics diag;
    std::size_t total = 0;
    std::vector<std::size_t> calls;
    for (;;) {
      auto [ec, n] = co_await store->async_delete_before(at(7000), 3, diag, tuple_awaitable);
      REQUIRE_MESSAGE(!ec, diag.message());
      calls.push_back(n);
      total += n;
      if (n == 0) break;
      CHECK(n <= 3);
    }
    CHECK(total == 7);
    CHECK(calls.front() == 3);
    auto [ec, stats] = co_await store->async_stats(diag, tuple_awaitable);
    REQUIRE_MESSAGE(!ec, diag.message());
    CHECK(stats.measurements == 3);
    auto [ec2, latest] = co_await store->async_latest(diag, tuple_awaitable);
    REQUIRE_MESSAGE(!ec2, diag.message());
    REQUIRE(latest.size() == 2);
    CHECK(latest[0].lecture_id == 8);
    CHECK(latest[1].lecture_id == 9);
    co_await close(*store);
  }());
}

TEST_CASE("two stores on one database writing the same rows at once store each row once") {
  test_support::postgres_server server;
  asio::io_context ioc;
  const auto url = url_of(server);
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    using namespace asio::experimental::awaitable_operators;
    auto a = co_await open_ok(url);
    auto b = co_await open_ok(url);
    historian::write_batch forward, backward;
    for (std::uint64_t i = 0; i < 2000; ++i) {
      forward.rows.push_back(
          row("s-" + std::to_string(i % 50), i, 1, static_cast<std::int64_t>(i), 1.0 * i, i));
    }
    backward.rows.assign(forward.rows.rbegin(), forward.rows.rend());
    std::size_t inserted = 0, duplicates = 0;
    for (int round = 0; round < 3; ++round) {
      auto [ra, rb] = co_await (write_ok(*a, forward) && write_ok(*b, backward));
      inserted += ra.inserted + rb.inserted;
      duplicates += ra.duplicates + rb.duplicates;
    }
    CHECK(inserted == 2000);
    CHECK(duplicates == 5 * 2000);
    storage::diagnostics diag;
    auto [ec, stats] = co_await a->async_stats(diag, tuple_awaitable);
    REQUIRE_MESSAGE(!ec, diag.message());
    CHECK(stats.measurements == 2000);
    CHECK(stats.sensors == 50);
    co_await close(*a);
    co_await close(*b);
  }());
}

TEST_CASE("with the server down operations fail at once; once it is back the next call succeeds") {
  test_support::postgres_server server;
  asio::io_context ioc;
  const auto url = url_of(server);
  store_ptr store;
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    store = co_await open_ok(url, 1);
    historian::write_batch batch;
    batch.rows = {row("s", 1, 1, 1000, 1, 1)};
    co_await write_ok(*store, batch);
  }());
  server.stop();
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    storage::diagnostics diag;
    historian::write_batch batch;
    batch.rows = {row("s", 2, 1, 2000, 2, 2)};
    auto [ec, w] = co_await store->async_write(batch, diag, tuple_awaitable);
    CHECK(ec == pg::errc::connection_failure);
    CHECK(!diag.message().empty());
    auto [ec2, latest] = co_await store->async_latest(diag, tuple_awaitable);
    CHECK(ec2 == pg::errc::connection_failure);
  }());
  server.start();
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    historian::write_batch batch;
    batch.rows = {row("s", 2, 1, 2000, 2, 2)};
    auto w = co_await write_ok(*store, batch);
    CHECK(w.inserted == 1);
    storage::diagnostics diag;
    auto [ec, latest] = co_await store->async_latest(diag, tuple_awaitable);
    REQUIRE_MESSAGE(!ec, diag.message());
    REQUIRE(latest.size() == 1);
    CHECK(latest[0].lecture_id == 2);
    co_await close(*store);
  }());
}

TEST_CASE("after close, operations fail with closed") {
  test_support::postgres_server server;
  asio::io_context ioc;
  const auto url = url_of(server);
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    auto store = co_await open_ok(url);
    co_await close(*store);
    storage::diagnostics diag;
    auto [ec, stats] = co_await store->async_stats(diag, tuple_awaitable);
    CHECK(ec == storage::errc::closed);
  }());
}

TEST_CASE("with no reader connections the writer answers the queries too") {
  test_support::postgres_server server;
  asio::io_context ioc;
  const auto url = url_of(server);
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    auto store = co_await open_ok(url, 0);
    historian::write_batch batch;
    batch.rows = {row("s", 1, 1, 1000, 1, 1)};
    co_await write_ok(*store, batch);
    storage::diagnostics diag;
    auto [ec, latest] = co_await store->async_latest(diag, tuple_awaitable);
    REQUIRE_MESSAGE(!ec, diag.message());
    CHECK(latest.size() == 1);
    auto r = co_await sql(server.url(),
                          "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client "
                          "backend' AND pid <> pg_backend_pid()");
    CHECK(r.get<std::int64_t>(0, 0) == 1);  // the writer alone
    co_await close(*store);
  }());
}
