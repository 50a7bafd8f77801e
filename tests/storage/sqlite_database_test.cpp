// storage::sqlite::database against real SQLite files: threads, executors,
// errors, closing, migrations.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "run_async.hpp"
#include "storage/error.hpp"
#include "storage/sqlite/database.hpp"
#include "storage/sqlite/error.hpp"
#include "storage/sqlite/migrate.hpp"
#include "storage/sqlite/transaction.hpp"

namespace asio = boost::asio;
using storage::sqlite::connection;
using storage::sqlite::database;

namespace {

constexpr auto await = asio::as_tuple(asio::use_awaitable);

struct fixture {
  test_support::temp_dir dir;
  asio::io_context ioc;
  database db{ioc.get_executor()};

  std::string path() const { return (dir.path() / "test.db").string(); }

  asio::awaitable<void> open() {
    storage::diagnostics diag;
    auto [ec] = co_await db.async_open(path(), diag, await);
    INFO(diag.message());
    REQUIRE_FALSE(ec);
    auto [ec2] = co_await db.async_write(
        [](connection& c) { c.exec("CREATE TABLE t (x INTEGER NOT NULL)"); }, diag, await);
    REQUIRE_FALSE(ec2);
  }

  asio::awaitable<std::int64_t> count() {
    storage::diagnostics diag;
    auto [ec, n] = co_await db.async_read(
        [](connection& c) {
          auto s = c.prepare("SELECT count(*) FROM t");
          s->step();
          return s->column_int64(0);
        },
        diag, await);
    REQUIRE_FALSE(ec);
    co_return n;
  }
};

auto insert_one(std::int64_t x) {
  return [x](connection& c) { c.prepare("INSERT INTO t (x) VALUES (?1)")->bind(1, x).run(); };
}

}  // namespace

TEST_CASE("database: callables run on the database's threads, handlers on their executor") {
  fixture f;
  const auto io_thread = std::this_thread::get_id();
  test_support::run_async(f.ioc, [&]() -> asio::awaitable<void> {
    co_await f.open();
    storage::diagnostics diag;
    auto [ec, writer_thread] = co_await f.db.async_write(
        [](connection&) { return std::this_thread::get_id(); }, diag, await);
    REQUIRE_FALSE(ec);
    CHECK(writer_thread != io_thread);
    CHECK(std::this_thread::get_id() == io_thread);

    auto [ec2, reader_thread] = co_await f.db.async_read(
        [](connection&) { return std::this_thread::get_id(); }, diag, await);
    REQUIRE_FALSE(ec2);
    CHECK(reader_thread != io_thread);
    CHECK(reader_thread != writer_thread);
    CHECK(std::this_thread::get_id() == io_thread);
  }());

  // A handler bound to a strand runs in that strand.
  auto strand = asio::make_strand(f.ioc);
  bool in_strand = false;
  bool called = false;
  storage::diagnostics diag;
  f.db.async_read([](connection&) { return 1; }, diag,
                  asio::bind_executor(strand, [&](storage::sqlite::error_code ec, int) {
                    CHECK_FALSE(ec);
                    called = true;
                    in_strand = strand.running_in_this_thread();
                  }));
  f.ioc.restart();
  f.ioc.run();
  CHECK(called);
  CHECK(in_strand);
}

TEST_CASE("database: a failing statement completes with SQLite's code and message") {
  fixture f;
  test_support::run_async(f.ioc, [&]() -> asio::awaitable<void> {
    co_await f.open();
    storage::diagnostics diag;
    auto [ec] = co_await f.db.async_write(
        [](connection& c) { c.exec("INSERT INTO missing VALUES (1)"); }, diag, await);
    CHECK(ec.category() == storage::sqlite::sqlite_category());
    CHECK(storage::sqlite::primary_code(ec) == SQLITE_ERROR);
    CHECK(diag.message() == "no such table: missing");

    auto [ec2] = co_await f.db.async_write(
        [](connection& c) { c.prepare("INSERT INTO t (x) VALUES (NULL)")->run(); }, diag, await);
    CHECK(storage::sqlite::primary_code(ec2) == SQLITE_CONSTRAINT);
    CHECK(diag.message().find("NOT NULL constraint failed: t.x") != std::string::npos);

    // Success clears what a failure left.
    auto [ec3] = co_await f.db.async_write(insert_one(1), diag, await);
    CHECK_FALSE(ec3);
    CHECK(diag.message().empty());
  }());
}

TEST_CASE("database: operations before open fail with closed") {
  fixture f;
  test_support::run_async(f.ioc, [&]() -> asio::awaitable<void> {
    storage::diagnostics diag;
    auto [ec] = co_await f.db.async_write(insert_one(1), diag, await);
    CHECK(ec == storage::errc::closed);
    auto [ec2, n] = co_await f.db.async_read([](connection&) { return 1; }, diag, await);
    CHECK(ec2 == storage::errc::closed);
    CHECK(diag.message() == "the database is not open");
  }());
}

TEST_CASE("database: close runs the work queued before it; later operations fail with closed") {
  fixture f;
  std::vector<int> order;
  test_support::run_async(f.ioc, [&]() -> asio::awaitable<void> {
    co_await f.open();
    storage::diagnostics diag;
    for (int i = 0; i < 20; ++i) {
      f.db.async_write(insert_one(i), diag, [&, i](storage::sqlite::error_code ec) {
        CHECK_FALSE(ec);
        order.push_back(i);
      });
    }
    auto [ec] = co_await f.db.async_close(await);
    CHECK_FALSE(ec);
    CHECK(order.size() == 20);
    auto [late] = co_await f.db.async_write(insert_one(99), diag, await);
    CHECK(late == storage::errc::closed);
    auto [again] = co_await f.db.async_close(await);
    CHECK_FALSE(again);
  }());
  std::vector<int> expected(20);
  for (int i = 0; i < 20; ++i) expected[i] = i;
  CHECK(order == expected);  // writes run in the order started

  // Everything was committed before the connections closed.
  connection c(f.path(), connection::mode::read_only, {});
  auto s = c.prepare("SELECT count(*) FROM t");
  s->step();
  CHECK(s->column_int64(0) == 20);
}

TEST_CASE("database: destroying it with work pending completes every operation") {
  test_support::temp_dir dir;
  asio::io_context ioc;
  int completed = 0;
  storage::diagnostics diag;
  {
    database db(ioc.get_executor());
    db.async_open((dir.path() / "d.db").string(), diag,
                  [&](storage::sqlite::error_code ec) { CHECK_FALSE(ec); });
    db.async_write([](connection& c) { c.exec("CREATE TABLE t (x)"); }, diag,
                   [&](storage::sqlite::error_code ec) {
                     CHECK_FALSE(ec);
                     ++completed;
                   });
    for (int i = 0; i < 10; ++i) {
      db.async_write(insert_one(i), diag, [&](storage::sqlite::error_code ec) {
        CHECK_FALSE(ec);
        ++completed;
      });
      db.async_read([](connection&) { return 0; }, diag,
                    [&](storage::sqlite::error_code, int) { ++completed; });
    }
  }
  ioc.run();
  CHECK(completed == 21);
}

TEST_CASE("database: a reader's open transaction does not block the writer") {
  fixture f;
  test_support::run_async(f.ioc, [&]() -> asio::awaitable<void> {
    co_await f.open();
    storage::diagnostics read_diag, write_diag;
    std::promise<void> snapshot_taken, written;
    auto snapshot = snapshot_taken.get_future();
    auto committed = written.get_future();
    // The reader holds a snapshot while the writer commits; both wait on
    // their own threads. If readers blocked the writer, neither would end.
    auto reading = f.db.async_read(
        [&](connection& c) {
          storage::sqlite::transaction t(c, storage::sqlite::transaction::kind::deferred);
          auto s = c.prepare("SELECT count(*) FROM t");
          s->step();
          const auto before = s->column_int64(0);
          s->reset();
          snapshot_taken.set_value();
          committed.wait();
          s->step();
          return std::pair(before, s->column_int64(0));
        },
        read_diag, asio::deferred);
    auto writing = f.db.async_write(
        [&](connection& c) {
          snapshot.wait();
          insert_one(1)(c);
          written.set_value();
        },
        write_diag, asio::deferred);
    auto [order, read_ec, seen, write_ec] =
        co_await asio::experimental::make_parallel_group(std::move(reading), std::move(writing))
            .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
    CHECK_FALSE(read_ec);
    CHECK_FALSE(write_ec);
    CHECK(seen == std::pair<std::int64_t, std::int64_t>(0, 0));  // its snapshot, to the end
    const auto rows = co_await f.count();
    CHECK(rows == 1);
  }());
}

TEST_CASE("database: with a checkpoint interval, a thread of its own empties the WAL") {
  test_support::temp_dir dir;
  asio::io_context ioc;
  storage::sqlite::database_options o;
  o.checkpoint_interval = std::chrono::milliseconds(20);
  o.wal_autocheckpoint_pages = 8;
  database db{ioc.get_executor(), o};
  const auto path = dir.path() / "test.db";
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    storage::diagnostics diag;
    auto [ec] = co_await db.async_open(path, diag, await);
    REQUIRE_FALSE(ec);
    // The writer itself never checkpoints.
    auto [aec, writer_pages] = co_await db.async_write(
        [](connection& c) {
          c.exec("CREATE TABLE t (x BLOB NOT NULL)");
          auto s = c.prepare("PRAGMA wal_autocheckpoint");
          s->step();
          return s->column_int64(0);
        },
        diag, await);
    REQUIRE_FALSE(aec);
    CHECK(writer_pages == 0);
    // About 50 pages into the WAL: past the limit, so it is emptied (TRUNCATE).
    auto [wec] = co_await db.async_write(
        [](connection& c) {
          for (int i = 0; i < 50; ++i)
            c.prepare("INSERT INTO t (x) VALUES (zeroblob(4000))")->run();
        },
        diag, await);
    REQUIRE_FALSE(wec);
    const auto wal = dir.path() / "test.db-wal";
    asio::steady_timer t(co_await asio::this_coro::executor);
    for (int i = 0; i < 500 && std::filesystem::file_size(wal) > 0; ++i) {
      t.expires_after(std::chrono::milliseconds(10));
      co_await t.async_wait(await);
    }
    CHECK(std::filesystem::file_size(wal) == 0);
    auto [cec] = co_await db.async_close(await);
    CHECK_FALSE(cec);
  }());
}

TEST_CASE("database: prepare keeps one statement per SQL text and connection") {
  test_support::temp_dir dir;
  connection c((dir.path() / "p.db").string(), connection::mode::read_write, {});
  c.exec("CREATE TABLE t (x)");
  storage::sqlite::statement* first = nullptr;
  {
    auto s = c.prepare("INSERT INTO t (x) VALUES (?1)");
    first = &*s;
    s->bind(1, std::int64_t{1}).run();
  }
  auto again = c.prepare("INSERT INTO t (x) VALUES (?1)");
  CHECK(&*again == first);
  auto other = c.prepare("SELECT x FROM t");
  CHECK(&*other != first);
}

TEST_CASE("database: a transaction rolls back unless committed") {
  test_support::temp_dir dir;
  connection c((dir.path() / "tx.db").string(), connection::mode::read_write, {});
  c.exec("CREATE TABLE t (x)");
  {
    storage::sqlite::transaction t(c);
    c.exec("INSERT INTO t VALUES (1)");
  }
  {
    storage::sqlite::transaction t(c);
    c.exec("INSERT INTO t VALUES (2)");
    t.commit();
  }
  auto s = c.prepare("SELECT group_concat(x) FROM t");
  REQUIRE(s->step());
  CHECK(s->column_text(0) == "2");
}

TEST_CASE("apply_migrations: each migration once, with its version, in its own transaction") {
  test_support::temp_dir dir;
  const auto path = (dir.path() / "m.db").string();
  constexpr std::array<storage::migration, 2> two{{
      {1, "a", "CREATE TABLE a (x)"},
      {2, "b", "CREATE TABLE b (x); INSERT INTO b VALUES (1)"},
  }};
  connection c(path, connection::mode::read_write, {});
  CHECK(storage::sqlite::schema_version(c) == 0);
  CHECK(storage::sqlite::apply_migrations(c, std::span(two).first(1)) == 1);
  CHECK(storage::sqlite::schema_version(c) == 1);
  CHECK(storage::sqlite::apply_migrations(c, two) == 1);
  CHECK(storage::sqlite::apply_migrations(c, two) == 0);
  CHECK(storage::sqlite::schema_version(c) == 2);
  auto s = c.prepare("SELECT count(*) FROM b");
  s->step();
  CHECK(s->column_int64(0) == 1);  // migration 2 ran once
}

TEST_CASE("apply_migrations: a failing migration leaves the version where it was") {
  test_support::temp_dir dir;
  constexpr std::array<storage::migration, 2> broken{{
      {1, "a", "CREATE TABLE a (x)"},
      {2, "bad", "CREATE TABLE c (x); SELECT * FROM nowhere"},
  }};
  connection c((dir.path() / "m.db").string(), connection::mode::read_write, {});
  try {
    storage::sqlite::apply_migrations(c, broken);
    FAIL("apply_migrations succeeded");
  } catch (const storage::sqlite::database_error& e) {
    CHECK(e.text().find("migration 2 (bad)") != std::string::npos);
    CHECK(e.text().find("no such table: nowhere") != std::string::npos);
  }
  CHECK(storage::sqlite::schema_version(c) == 1);
  auto s = c.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'c'");
  s->step();
  CHECK(s->column_int64(0) == 0);  // rolled back with its version bump
}

TEST_CASE("apply_migrations: a newer schema is refused with schema_too_new") {
  test_support::temp_dir dir;
  constexpr std::array<storage::migration, 1> one{{{1, "a", "CREATE TABLE a (x)"}}};
  connection c((dir.path() / "m.db").string(), connection::mode::read_write, {});
  c.exec(
      "CREATE TABLE schema_version (version INTEGER NOT NULL); "
      "INSERT INTO schema_version VALUES (4)");
  try {
    storage::sqlite::apply_migrations(c, one);
    FAIL("apply_migrations succeeded");
  } catch (const storage::sqlite::database_error& e) {
    CHECK(e.code() == storage::errc::schema_too_new);
    CHECK(e.text().find("version 4, newer than this program's 1") != std::string::npos);
  }
}
