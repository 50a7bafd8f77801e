// storage::postgres::connection against a throwaway PostgreSQL server.
#include <doctest/doctest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "nats_server.hpp"  // reserve_port
#include "postgres_server.hpp"
#include "run_async.hpp"
#include "storage/error.hpp"
#include "storage/postgres/connection.hpp"

namespace asio = boost::asio;
namespace pg = storage::postgres;
using boost::system::error_code;
using namespace std::chrono_literals;

namespace {

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

// Waits on a timer that the completion of something else cancels.
struct signal {
  explicit signal(asio::any_io_executor ex) : timer(ex, asio::steady_timer::time_point::max()) {}
  void notify() {
    done = true;
    timer.cancel();
  }
  asio::awaitable<void> wait() {
    while (!done) co_await timer.async_wait(tuple_awaitable);
  }
  asio::steady_timer timer;
  bool done = false;
};

}  // namespace

const std::string hello = "héllo";

TEST_CASE("a query with text parameters gives typed columns, NULL included") {
  test_support::postgres_server server;
  asio::io_context ioc;
  pg::connection conn(ioc.get_executor(), server.url());
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    storage::diagnostics diag;
    // Built before the co_await: g++ 12 cannot keep an initializer list in
    // a coroutine frame.
    pg::params p{pg::to_text(std::int64_t{41}), hello, pg::to_text(0.1), std::nullopt,
                 pg::to_text(std::int32_t{-7})};
    auto [ec, res] = co_await conn.async_query(
        "SELECT $1::bigint + 1, $2::text, $3::float8, $4::text IS NULL, $5::int", std::move(p),
        diag, tuple_awaitable);
    REQUIRE_MESSAGE(!ec, diag.message());
    REQUIRE(res.rows() == 1);
    CHECK(res.get<std::int64_t>(0, 0) == 42);
    CHECK(res.get<std::string>(0, 1) == hello);
    CHECK(res.get<double>(0, 2) == 0.1);
    CHECK(res.get<bool>(0, 3));
    CHECK(res.get<std::int32_t>(0, 4) == -7);
    CHECK(conn.is_open());
    CHECK(conn.backend_pid() > 0);
  }());
}

const std::string awkward = "a \"quoted\" \\ back,slash {x}";
const std::string binary("\0\x01\xff\"\\", 5);

TEST_CASE("array literals carry quotes, backslashes, NUL bytes and wrapped unsigned values") {
  test_support::postgres_server server;
  asio::io_context ioc;
  pg::connection conn(ioc.get_executor(), server.url());
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    const std::uint64_t huge = 18'446'744'073'709'551'615ULL;
    pg::array_literal texts, blobs, numbers;
    texts.push_text(awkward);
    texts.push_text("");
    blobs.push_bytes(binary);
    blobs.push_bytes("");
    numbers.push_number(pg::to_text(huge));
    numbers.push_number(pg::to_text(std::uint64_t{5}));
    storage::diagnostics diag;
    pg::params p{std::move(texts).finish(), std::move(blobs).finish(), std::move(numbers).finish()};
    auto [ec, res] =
        co_await conn.async_query("SELECT * FROM unnest($1::text[], $2::bytea[], $3::bigint[])",
                                  std::move(p), diag, tuple_awaitable);
    REQUIRE_MESSAGE(!ec, diag.message());
    REQUIRE(res.rows() == 2);
    CHECK(res.get<std::string>(0, 0) == awkward);
    CHECK(res.get<std::string>(1, 0).empty());
    CHECK(res.bytes(0, 1) == binary);
    CHECK(res.bytes(1, 1).empty());
    CHECK(res.get<std::uint64_t>(0, 2) == huge);
    CHECK(res.get<std::uint64_t>(1, 2) == 5);
  }());
}

TEST_CASE("a syntax error reports its SQLSTATE and the server's message; the connection stays") {
  test_support::postgres_server server;
  asio::io_context ioc;
  pg::connection conn(ioc.get_executor(), server.url());
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    storage::diagnostics diag;
    auto [ec, res] = co_await conn.async_query("SELEKT 1", {}, diag, tuple_awaitable);
    CHECK(ec == pg::errc::syntax_error);
    CHECK(diag.message().find("syntax error at or near \"SELEKT\"") != std::string::npos);
    CHECK(diag.message().find("SQLSTATE 42601") != std::string::npos);
    const int pid = conn.backend_pid();

    auto [ec2, res2] =
        co_await conn.async_query("SELECT * FROM no_such_table", {}, diag, tuple_awaitable);
    CHECK(ec2 == pg::errc::undefined_table);
    CHECK(diag.message().find("42P01") != std::string::npos);

    auto [ec3, n] = co_await conn.async_exec(
        "CREATE TEMP TABLE t (k int PRIMARY KEY); INSERT INTO t VALUES (1)", {}, diag,
        tuple_awaitable);
    REQUIRE_MESSAGE(!ec3, diag.message());
    CHECK(n == 1);
    pg::params one{pg::to_text(std::int32_t{1})};
    auto [ec4, n4] = co_await conn.async_exec("INSERT INTO t VALUES ($1)", std::move(one), diag,
                                              tuple_awaitable);
    CHECK(ec4 == pg::errc::unique_violation);
    CHECK(diag.message().find("23505") != std::string::npos);
    CHECK(conn.backend_pid() == pid);  // errors did not cost the connection
  }());
}

TEST_CASE("connecting to a closed port fails at once with libpq's reason, without the password") {
  const int port = test_support::reserve_port();
  asio::io_context ioc;
  // A long connect deadline: the failure must come from the refusal.
  pg::connection conn(ioc.get_executor(),
                      "postgresql://postgres:s3cret@127.0.0.1:" + std::to_string(port) + "/db",
                      {.connect_timeout = 60s});
  test_support::run_async(
      ioc,
      [&]() -> asio::awaitable<void> {
        storage::diagnostics diag;
        auto [ec] = co_await conn.async_connect(diag, tuple_awaitable);
        CHECK(ec == pg::errc::connection_failure);
        CHECK(diag.message().find("Connection refused") != std::string::npos);
        CHECK_MESSAGE(diag.message().find(std::to_string(port)) != std::string::npos,
                      diag.message());
        CHECK(diag.message().find('\n') == std::string::npos);
        CHECK(diag.message().find("s3cret") == std::string::npos);
        auto [ec2, res] = co_await conn.async_query("SELECT 1", {}, diag, tuple_awaitable);
        CHECK(ec2 == pg::errc::connection_failure);
        CHECK(!conn.is_open());
      }(),
      10s);
  test_support::release_port(port);
}

TEST_CASE("a malformed connection string is refused before any I/O") {
  asio::io_context ioc;
  pg::connection conn(ioc.get_executor(), "postgresql://h/db?no_such_option=1");
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    storage::diagnostics diag;
    auto [ec] = co_await conn.async_connect(diag, tuple_awaitable);
    CHECK(ec == pg::errc::bad_connection_string);
    CHECK(diag.message().find("no_such_option") != std::string::npos);
  }());
}

TEST_CASE("a statement in flight never blocks the io_context: a 10 ms timer keeps firing") {
  test_support::postgres_server server;
  asio::io_context ioc;
  pg::connection conn(ioc.get_executor(), server.url());
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    storage::diagnostics diag;
    auto [ec0] = co_await conn.async_connect(diag, tuple_awaitable);
    REQUIRE_MESSAGE(!ec0, diag.message());
    int ticks = 0;
    bool finished = false;
    bool on_io_thread = false;
    signal done(co_await asio::this_coro::executor);
    conn.async_query("SELECT pg_sleep(1)", {}, diag, [&](error_code ec, pg::result) {
      CHECK_MESSAGE(!ec, diag.message());
      on_io_thread = ioc.get_executor().running_in_this_thread();
      finished = true;
      done.notify();
    });
    asio::steady_timer tick(ioc);
    while (!finished) {
      tick.expires_after(10ms);
      co_await tick.async_wait(tuple_awaitable);
      if (!finished) ++ticks;
    }
    co_await done.wait();
    CHECK(on_io_thread);
    CHECK(ticks >= 20);  // blocked, it would tick once at most
  }());
}

TEST_CASE("a second operation while one is in flight is refused as busy") {
  test_support::postgres_server server;
  asio::io_context ioc;
  pg::connection conn(ioc.get_executor(), server.url());
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    storage::diagnostics d1, d2;
    signal first(co_await asio::this_coro::executor);
    error_code first_ec;
    conn.async_query("SELECT pg_sleep(0.2)", {}, d1, [&](error_code ec, pg::result) {
      first_ec = ec;
      first.notify();
    });
    auto [ec, res] = co_await conn.async_query("SELECT 1", {}, d2, tuple_awaitable);
    CHECK(ec == pg::errc::busy);
    co_await first.wait();
    CHECK_MESSAGE(!first_ec, d1.message());
  }());
}

TEST_CASE("a statement past its deadline fails with timed_out; the next one reconnects") {
  test_support::postgres_server server;
  asio::io_context ioc;
  pg::connection conn(ioc.get_executor(), server.url(), {.statement_timeout = 200ms});
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    storage::diagnostics diag;
    auto [ec, res] = co_await conn.async_query("SELECT pg_sleep(30)", {}, diag, tuple_awaitable);
    CHECK(ec == pg::errc::timed_out);
    CHECK(diag.message().find("200 ms") != std::string::npos);
    CHECK(!conn.is_open());
    auto [ec2, res2] = co_await conn.async_query("SELECT 7", {}, diag, tuple_awaitable);
    REQUIRE_MESSAGE(!ec2, diag.message());
    CHECK(res2.get<int>(0, 0) == 7);
  }());
}

TEST_CASE(
    "the server stopped mid-statement: connection_lost, refused while down, back after start") {
  test_support::postgres_server server;
  asio::io_context ioc;
  pg::connection busy(ioc.get_executor(), server.url());
  pg::connection idle(ioc.get_executor(), server.url());
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    storage::diagnostics diag, busy_diag;
    auto [ec0, r0] = co_await idle.async_query("SELECT 1", {}, diag, tuple_awaitable);
    REQUIRE_MESSAGE(!ec0, diag.message());
    const int idle_pid = idle.backend_pid();

    signal lost(co_await asio::this_coro::executor);
    error_code busy_ec;
    busy.async_query("SELECT pg_sleep(60)", {}, busy_diag, [&](error_code ec, pg::result) {
      busy_ec = ec;
      lost.notify();
    });
    // Until the server runs the statement.
    for (;;) {
      auto [ec, r] = co_await idle.async_query(
          "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)' "
          "AND state = 'active'",
          {}, diag, tuple_awaitable);
      REQUIRE_MESSAGE(!ec, diag.message());
      if (r.get<std::int64_t>(0, 0) == 1) break;
    }
    std::thread stopper([&] { server.stop(); });
    co_await lost.wait();
    stopper.join();
    CHECK(busy_ec == storage::errc::connection_lost);
    CHECK(!busy_diag.message().empty());
    CHECK(!busy.is_open());

    // While down: refused, promptly, on both.
    auto [ec1, r1] = co_await busy.async_query("SELECT 1", {}, diag, tuple_awaitable);
    CHECK(ec1 == pg::errc::connection_failure);
    auto [ec2, r2] = co_await idle.async_query("SELECT 1", {}, diag, tuple_awaitable);
    CHECK(ec2 == pg::errc::connection_failure);

    server.start();
    auto [ec3, r3] = co_await busy.async_query("SELECT 3", {}, diag, tuple_awaitable);
    REQUIRE_MESSAGE(!ec3, diag.message());
    CHECK(r3.get<int>(0, 0) == 3);
    auto [ec4, r4] = co_await idle.async_query("SELECT 4", {}, diag, tuple_awaitable);
    REQUIRE_MESSAGE(!ec4, diag.message());
    CHECK(idle.backend_pid() != idle_pid);
  }());
}

TEST_CASE("an idle connection whose server restarted is replaced before the next statement") {
  test_support::postgres_server server;
  asio::io_context ioc;
  pg::connection conn(ioc.get_executor(), server.url());
  storage::diagnostics diag;
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    auto [ec, r] = co_await conn.async_query("SELECT 1", {}, diag, tuple_awaitable);
    REQUIRE_MESSAGE(!ec, diag.message());
  }());
  const int before = conn.backend_pid();
  server.stop();
  server.start();
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    auto [ec, r] = co_await conn.async_query("SELECT 2", {}, diag, tuple_awaitable);
    REQUIRE_MESSAGE(!ec, diag.message());
    CHECK(r.get<int>(0, 0) == 2);
    CHECK(conn.backend_pid() != before);
  }());
}
