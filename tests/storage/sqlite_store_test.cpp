// The measurement store on SQLite: the shared contract
// (measurement_store_cases.hpp), then what only a file database has:
// migrations, paths that cannot be opened, two stores on one file.
#include <linux/capability.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <filesystem>
#include <fstream>

#include "child_process.hpp"
#include "measurement_store_cases.hpp"
#include "open_sqlite_store.hpp"
#include "storage/error.hpp"
#include "storage/sqlite/connection.hpp"
#include "storage/sqlite/error.hpp"
#include "storage/sqlite/migrate.hpp"

using namespace measurement_store_cases;

namespace {

struct sqlite_fixture {
  test_support::temp_dir dir;
  asio::io_context ioc;

  std::string path() const { return (dir.path() / "history.db").string(); }

  asio::awaitable<std::shared_ptr<measurement_store>> open() {
    storage::diagnostics diag;
    auto [ec, store] =
        co_await test_support::async_open_sqlite_store(ioc.get_executor(), path(), diag, await);
    INFO(diag.message());
    REQUIRE_FALSE(ec);
    co_return store;
  }
};

// Opens `path`; returns the error and the diagnostics' text.
std::pair<storage::sqlite::error_code, std::string> open_error(const std::string& path) {
  asio::io_context ioc;
  storage::diagnostics diag;
  storage::sqlite::error_code result;
  test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
    auto [ec, store] =
        co_await test_support::async_open_sqlite_store(ioc.get_executor(), path, diag, await);
    result = ec;
    CHECK_FALSE(store);
  }());
  return {result, diag.message()};
}

int version_in(const std::string& path) {
  storage::sqlite::connection c(path, storage::sqlite::connection::mode::read_only, {});
  return storage::sqlite::schema_version(c);
}

// Root passes every file permission check (CAP_DAC_OVERRIDE). While this
// lives, the calling thread, and the threads it starts, do not.
class without_permission_override {
 public:
  without_permission_override() {
    if (::syscall(SYS_capget, &header_, saved_) != 0) return;
    __user_cap_data_struct reduced[2] = {saved_[0], saved_[1]};
    reduced[0].effective &= ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH));
    active_ = ::syscall(SYS_capset, &header_, reduced) == 0;
  }
  ~without_permission_override() {
    if (active_) ::syscall(SYS_capset, &header_, saved_);
  }
  without_permission_override(const without_permission_override&) = delete;
  without_permission_override& operator=(const without_permission_override&) = delete;

 private:
  __user_cap_header_struct header_{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct saved_[2]{};
  bool active_ = false;
};

}  // namespace

MEASUREMENT_STORE_CASES(sqlite_fixture);

TEST_CASE("sqlite store: migrations are applied once; reopening changes nothing") {
  sqlite_fixture f;
  test_support::run_async(f.ioc, [&]() -> asio::awaitable<void> {
    auto store = co_await f.open();
    std::vector<stored_measurement> one_row{row("s-1", 1, t0, 1.5)};
    co_await write(*store, std::move(one_row));
    co_await close(*store);
  }());
  const int version = version_in(f.path());
  CHECK(version >= 1);
  test_support::run_async(f.ioc, [&]() -> asio::awaitable<void> {
    auto store = co_await f.open();
    auto page = co_await range(*store, whole("s-1"));
    CHECK(page.rows.size() == 1);  // the data survived the reopening
    co_await close(*store);
  }());
  CHECK(version_in(f.path()) == version);
  storage::sqlite::connection c(f.path(), storage::sqlite::connection::mode::read_only, {});
  auto s = c.prepare("SELECT count(*) FROM schema_version");
  s->step();
  CHECK(s->column_int64(0) == 1);
}

TEST_CASE("sqlite store: a schema newer than the program is refused, naming both versions") {
  sqlite_fixture f;
  test_support::run_async(f.ioc, [&]() -> asio::awaitable<void> {
    auto store = co_await f.open();
    co_await close(*store);
  }());
  const int program_version = version_in(f.path());
  {
    storage::sqlite::connection c(f.path(), storage::sqlite::connection::mode::read_write, {});
    c.exec("UPDATE schema_version SET version = 99");
  }
  auto [ec, message] = open_error(f.path());
  CHECK(ec == storage::errc::schema_too_new);
  CHECK(message.find("version 99") != std::string::npos);
  CHECK(message.find("this program's " + std::to_string(program_version)) != std::string::npos);
  CHECK(version_in(f.path()) == 99);  // left as it was
}

TEST_CASE("sqlite store: a path that cannot be opened fails with a message that says why") {
  test_support::temp_dir dir;
  SUBCASE("a missing directory") {
    const auto path = (dir.path() / "no-such-dir" / "history.db").string();
    auto [ec, message] = open_error(path);
    CHECK(storage::sqlite::primary_code(ec) == SQLITE_CANTOPEN);
    CHECK(message == "cannot open database " + path + ": directory " +
                         (dir.path() / "no-such-dir").string() + " does not exist");
    CHECK_FALSE(std::filesystem::exists(dir.path() / "no-such-dir"));
  }
  SUBCASE("a directory instead of a file") {
    const auto path = dir.path().string();
    auto [ec, message] = open_error(path);
    CHECK(storage::sqlite::primary_code(ec) == SQLITE_CANTOPEN);
    CHECK(message == "cannot open database " + path + ": it is a directory, not a database file");
  }
  SUBCASE("a read-only file") {
    const auto path = (dir.path() / "history.db").string();
    {
      asio::io_context ioc;
      test_support::run_async(ioc, [&]() -> asio::awaitable<void> {
        storage::diagnostics diag;
        auto [ec, store] =
            co_await test_support::async_open_sqlite_store(ioc.get_executor(), path, diag, await);
        REQUIRE_FALSE(ec);
        co_await close(*store);
      }());
    }
    REQUIRE(::chmod(path.c_str(), 0444) == 0);
    without_permission_override as_anyone;
    auto [ec, message] = open_error(path);
    CHECK(storage::sqlite::primary_code(ec) == SQLITE_READONLY);
    CHECK(message == "cannot open database " + path +
                         " for writing: the file is read-only (permission denied)");
  }
  SUBCASE("not a database") {
    const auto path = (dir.path() / "notes.txt").string();
    std::ofstream(path) << std::string(4096, 'x');
    auto [ec, message] = open_error(path);
    CHECK(storage::sqlite::primary_code(ec) == SQLITE_NOTADB);
    CHECK(message.find("file is not a database") != std::string::npos);
  }
}

TEST_CASE("sqlite store: two stores on one file both write without errors") {
  sqlite_fixture f;
  test_support::run_async(f.ioc, [&]() -> asio::awaitable<void> {
    auto a = co_await f.open();
    auto b = co_await f.open();
    auto write_many = [](measurement_store& s, std::string prefix) -> asio::awaitable<void> {
      for (std::uint64_t batch = 0; batch < 20; ++batch) {
        std::vector<stored_measurement> rows;
        for (std::uint64_t i = 0; i < 50; ++i) {
          // Sensors of both stores, so that both create the same sensor ids.
          rows.push_back(row(prefix + std::to_string(i % 5), batch * 100 + i,
                             t0 + std::int64_t(batch * 100 + i), 1.0));
          rows.push_back(row("shared-" + std::to_string(i % 3),
                             batch * 1000 + i + (prefix == "a-" ? 0 : 500),
                             t0 + std::int64_t(batch * 100 + i), 2.0));
        }
        auto result = co_await write(s, rows);
        CHECK(result.inserted == 100);
      }
    };
    using namespace asio::experimental::awaitable_operators;
    co_await (write_many(*a, "a-") && write_many(*b, "b-"));
    auto st = co_await stats(*a);
    CHECK(st.measurements == 4000);
    CHECK(st.sensors == 13);
    co_await close(*a);
    co_await close(*b);
  }());
}

TEST_CASE("sqlite store: handlers run on their own executor") {
  sqlite_fixture f;
  std::shared_ptr<measurement_store> store;
  test_support::run_async(f.ioc, [&]() -> asio::awaitable<void> { store = co_await f.open(); }());
  auto strand = asio::make_strand(f.ioc);
  bool called = false;
  bool in_strand = false;
  storage::diagnostics diag;
  store->async_stats(diag, asio::bind_executor(
                               strand, [&](storage::sqlite::error_code ec, historian::store_stats) {
                                 CHECK_FALSE(ec);
                                 called = true;
                                 in_strand = strand.running_in_this_thread();
                               }));
  f.ioc.restart();
  f.ioc.run();
  CHECK(called);
  CHECK(in_strand);
  test_support::run_async(f.ioc, close(*store));
}
