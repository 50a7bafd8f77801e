// Key-value buckets through the library against a real nats-server.
#include <doctest/doctest.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>
#include <optional>

#include "nats_asio/connection.hpp"
#include "nats_asio/detail/access.hpp"
#include "nats_asio/detail/watch_state.hpp"
#include "nats_asio/kv_bucket.hpp"
#include "nats_server.hpp"
#include "run_async.hpp"
#include "test_connection.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using asio::awaitable;
using asio::use_awaitable;
using nats_asio::errc;
using nats_asio::error_code;
using nats_asio::kv_operation;
using test_support::connect_to;
using test_support::nats_server;
using test_support::run_async;
using test_support::sleep_for;

namespace {

awaitable<nats_asio::kv_bucket> bucket(nats_asio::jetstream& js, std::string name,
                                       int history = 5) {
  nats_asio::kv_config cfg;
  cfg.bucket = std::move(name);
  cfg.history = history;
  nats_asio::diagnostics diag;
  auto [ec, kv] =
      co_await nats_asio::async_create_key_value(js, cfg, diag, asio::as_tuple(use_awaitable));
  REQUIRE_MESSAGE(!ec, ec.message() << ": " << diag.server_message());
  co_return kv;
}

}  // namespace

TEST_CASE("kv: create bucket, put, get, create, update with conflict, erase, keys") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    nats_asio::jetstream js(conn);
    auto kv = co_await bucket(js, "CONFIG");

    auto [missing_ec, missing] = co_await kv.async_get("a.config", asio::as_tuple(use_awaitable));
    CHECK(missing_ec == errc::key_not_found);

    auto r1 = co_await kv.async_put("a.config", R"({"interval_ms":1000})", use_awaitable);
    auto entry = co_await kv.async_get("a.config", use_awaitable);
    CHECK(entry.value == R"({"interval_ms":1000})");
    CHECK(entry.revision == r1);
    CHECK(entry.key == "a.config");
    CHECK(entry.created.time_since_epoch().count() > 0);

    auto [exists_ec, none] =
        co_await kv.async_create("a.config", "x", asio::as_tuple(use_awaitable));
    CHECK(exists_ec == errc::key_exists);
    auto r2 = co_await kv.async_create("b.config", "b", use_awaitable);
    CHECK(r2 > r1);

    auto r3 = co_await kv.async_update("a.config", "v2", r1, use_awaitable);
    CHECK(r3 > r2);
    auto [conflict, none2] =
        co_await kv.async_update("a.config", "v3", r1, asio::as_tuple(use_awaitable));
    CHECK(conflict == errc::wrong_last_revision);
    CHECK((co_await kv.async_get("a.config", use_awaitable)).value == "v2");

    co_await kv.async_erase("b.config", use_awaitable);
    auto [gone_ec, gone] = co_await kv.async_get("b.config", asio::as_tuple(use_awaitable));
    CHECK(gone_ec == errc::key_not_found);
    // A deleted key can be created again.
    CHECK((co_await kv.async_create("b.config", "again", use_awaitable)) > r3);

    co_await kv.async_put("c.config", "c", use_awaitable);
    co_await kv.async_erase("c.config", use_awaitable);
    auto keys = co_await kv.async_keys(use_awaitable);
    std::sort(keys.begin(), keys.end());
    CHECK(keys == std::vector<std::string>{"a.config", "b.config"});

    auto [bad_ec, bad] = co_await kv.async_put(".bad", "x", asio::as_tuple(use_awaitable));
    CHECK(bad_ec == errc::invalid_argument);
  }());
}

TEST_CASE("kv: open an existing bucket, a missing one, and an empty bucket's keys") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    nats_asio::jetstream js(conn);
    auto [ec, none] =
        co_await nats_asio::async_open_key_value(js, "MISSING", asio::as_tuple(use_awaitable));
    CHECK(ec == errc::bucket_not_found);
    auto made = co_await bucket(js, "EXISTING");
    auto opened = co_await nats_asio::async_open_key_value(js, "EXISTING", use_awaitable);
    CHECK(opened.name() == "EXISTING");
    CHECK((co_await opened.async_keys(use_awaitable)).empty());
  }());
}

TEST_CASE("kv: the config survives a server restart (file storage)") {
  nats_server server;
  asio::io_context ioc;
  run_async(
      ioc,
      [&]() -> awaitable<void> {
        auto conn = co_await connect_to(server);
        nats_asio::jetstream js(conn);
        auto kv = co_await bucket(js, "DURABLE");
        auto rev = co_await kv.async_put("k", "v", use_awaitable);
        server.stop();
        server.start();
        error_code ec;
        nats_asio::kv_entry e;
        for (int i = 0; i < 100; ++i) {
          std::tie(ec, e) = co_await kv.async_get("k", asio::as_tuple(use_awaitable));
          if (!ec) break;
          co_await sleep_for(100ms);
        }
        REQUIRE(!ec);
        CHECK(e.value == "v");
        CHECK(e.revision == rev);
      }(),
      90s);
}

TEST_CASE("kv watch: initial values, marker, then every update, also across a server restart") {
  nats_server server;
  asio::io_context ioc;
  run_async(
      ioc,
      [&]() -> awaitable<void> {
        auto conn = co_await connect_to(server);
        nats_asio::jetstream js(conn);
        auto kv = co_await bucket(js, "WATCHED");
        co_await kv.async_put("s1.config", "a", use_awaitable);
        co_await kv.async_put("s2.config", "b", use_awaitable);
        co_await kv.async_put("s1.config", "a2", use_awaitable);

        nats_asio::watch_options wo;
        wo.heartbeat = 500ms;
        auto watcher = co_await kv.async_watch("*.config", wo, use_awaitable);
        std::map<std::string, std::string> initial;
        while (true) {
          auto e = co_await watcher.async_next(use_awaitable);
          if (e.operation == kv_operation::initial_done) break;
          initial[e.key] = e.value;
        }
        CHECK(initial ==
              std::map<std::string, std::string>{{"s1.config", "a2"}, {"s2.config", "b"}});

        std::uint64_t last_revision = 0;
        for (int i = 0; i < 20; ++i) {
          auto rev = co_await kv.async_put("s1.config", "u" + std::to_string(i), use_awaitable);
          auto e = co_await watcher.async_next(use_awaitable);
          CHECK(e.value == "u" + std::to_string(i));
          CHECK(e.revision == rev);
          last_revision = rev;
        }
        co_await kv.async_erase("s2.config", use_awaitable);
        auto erased = co_await watcher.async_next(use_awaitable);
        CHECK(erased.key == "s2.config");
        CHECK(erased.operation == kv_operation::erase);

        server.kill_hard();
        server.start();
        // Updates after the restart still arrive, each exactly once, in order.
        for (int i = 0; i < 10; ++i) {
          std::uint64_t rev = 0;
          while (true) {
            auto [ec, r] = co_await kv.async_put("s1.config", "after" + std::to_string(i),
                                                 asio::as_tuple(use_awaitable));
            if (!ec) {
              rev = r;
              break;
            }
            co_await sleep_for(100ms);
          }
          auto e = co_await watcher.async_next(use_awaitable);
          CHECK(e.value == "after" + std::to_string(i));
          CHECK(e.revision == rev);
          CHECK(e.revision > last_revision);
          last_revision = e.revision;
        }
        CHECK(watcher.restarts() >= 1);
      }(),
      120s);
}

TEST_CASE("kv watch: a pending next is cancelled at once and loses nothing") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    using namespace asio::experimental::awaitable_operators;
    auto conn = co_await connect_to(server);
    nats_asio::jetstream js(conn);
    auto kv = co_await bucket(js, "CANCEL");
    auto watcher = co_await kv.async_watch(">", use_awaitable);
    auto marker = co_await watcher.async_next(use_awaitable);
    CHECK(marker.operation == kv_operation::initial_done);

    // A timed-out wait (cancellation through the || operator) ...
    auto outcome = co_await (watcher.async_next(use_awaitable) || sleep_for(100ms));
    CHECK(outcome.index() == 1);
    // ... does not swallow the next update.
    co_await kv.async_put("k", "v", use_awaitable);
    auto e = co_await watcher.async_next(use_awaitable);
    CHECK(e.key == "k");
    CHECK(e.value == "v");

    // Destroyed with a wait pending: the wait ends, nothing crashes.
    std::optional<error_code> pending;
    {
      auto w2 = co_await kv.async_watch(">", use_awaitable);
      co_await w2.async_next(use_awaitable);  // the existing "k"
      co_await w2.async_next(use_awaitable);  // the marker
      w2.async_next([&](error_code ec, nats_asio::kv_entry) { pending = ec; });
      co_await sleep_for(50ms);
    }
    for (int i = 0; i < 100 && !pending; ++i) co_await sleep_for(10ms);
    REQUIRE(pending);
    CHECK(*pending == errc::subscription_closed);
  }());
}

TEST_CASE(
    "kv watch: a second next while one is pending fails at once, the first still gets the entry") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    nats_asio::jetstream js(conn);
    auto kv = co_await bucket(js, "ONEATATIME");
    auto watcher = co_await kv.async_watch(">", use_awaitable);
    co_await watcher.async_next(use_awaitable);  // marker

    std::optional<std::pair<error_code, nats_asio::kv_entry>> first;
    watcher.async_next([&](error_code ec, nats_asio::kv_entry e) { first.emplace(ec, e); });
    auto [ec, second] = co_await watcher.async_next(asio::as_tuple(use_awaitable));
    CHECK(ec == errc::operation_in_progress);
    CHECK_FALSE(first);

    co_await kv.async_put("k", "v", use_awaitable);
    for (int i = 0; i < 500 && !first; ++i) co_await sleep_for(10ms);
    REQUIRE(first);
    CHECK_FALSE(first->first);
    CHECK(first->second.key == "k");
    // Once the first has completed, the watcher takes a new call as usual.
    co_await kv.async_put("k", "w", use_awaitable);
    auto next = co_await watcher.async_next(use_awaitable);
    CHECK(next.value == "w");
  }());
}

TEST_CASE("kv watch waiting for updates leaves the io_context free") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    using namespace asio::experimental::awaitable_operators;
    auto conn = co_await connect_to(server);
    nats_asio::jetstream js(conn);
    auto kv = co_await bucket(js, "IDLE");
    auto watcher = co_await kv.async_watch(">", use_awaitable);
    co_await watcher.async_next(use_awaitable);  // marker
    nats_asio::kv_entry woken;
    auto wait_for_update = [&]() -> awaitable<void> {
      woken = co_await watcher.async_next(use_awaitable);
    };
    auto wake_later = [&]() -> awaitable<void> {
      co_await sleep_for(400ms);
      co_await kv.async_put("wake", "up", use_awaitable);
    };
    auto worst = co_await test_support::worst_timer_delay_during(wait_for_update() && wake_later());
    CHECK(woken.key == "wake");
    // A blocking wait would hold the thread for the whole 400 ms; half of
    // that leaves room for a loaded machine (or a sanitizer build).
    CHECK(worst < 200ms);
  }());
}

TEST_CASE("kv watch: values beyond the flow control window all arrive, in order, without restart") {
  nats_server server;
  asio::io_context ioc;
  run_async(
      ioc,
      [&]() -> awaitable<void> {
        auto conn = co_await connect_to(server);
        nats_asio::jetstream js(conn);
        auto kv = co_await bucket(js, "LARGE", 1);
        // 4 MiB: more than the server sends before it waits for a flow
        // control reply (at most 2 MiB at first).
        constexpr int total = 64;
        const std::string filler(64 * 1024, 'x');
        for (int i = 1; i <= total; ++i)
          co_await kv.async_put("key" + std::to_string(i), std::to_string(i) + "." + filler,
                                use_awaitable);

        nats_asio::watch_options wo;
        wo.heartbeat = 1s;
        auto watcher = co_await kv.async_watch(">", wo, use_awaitable);
        auto first = co_await watcher.async_next(use_awaitable);
        REQUIRE(first.key == "key1");
        for (int expected = 2; expected <= total; ++expected) {
          auto e = co_await watcher.async_next(use_awaitable);
          REQUIRE(e.key == "key" + std::to_string(expected));
          REQUIRE(std::stoi(e.value) == expected);
        }
        auto marker = co_await watcher.async_next(use_awaitable);
        CHECK(marker.operation == kv_operation::initial_done);
        CHECK(watcher.restarts() == 0);
        const auto& state = nats_asio::detail::access::state(watcher);
        CHECK(state->activity->flow_control_answered.load() >= 1);
      }(),
      120s);
}
