// Server lists and queue groups (authentication: auth_test.cpp).
#include <doctest/doctest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>

#include "nats_asio/connection.hpp"
#include "nats_server.hpp"
#include "run_async.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using asio::awaitable;
using asio::use_awaitable;
using nats_asio::error_code;
using test_support::nats_server;
using test_support::run_async;

namespace {

awaitable<std::pair<error_code, std::string>> try_connect(nats_asio::connect_options o) {
  nats_asio::connection conn(co_await asio::this_coro::executor);
  o.max_reconnect_attempts = 0;
  auto [ec, detail] = co_await conn.async_connect(o, asio::as_tuple(use_awaitable));
  co_return std::pair{ec, detail};
}

}  // namespace

TEST_CASE("a server list: the first unreachable, the second used") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    nats_asio::connect_options o;
    o.servers = {"nats://127.0.0.1:1", server.url()};
    o.connect_timeout = 500ms;
    auto [ec, text] = co_await try_connect(o);
    CHECK_MESSAGE(!ec, text);
  }());
}

TEST_CASE("a queue group shares the messages: each goes to exactly one member") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    nats_asio::connection conn(co_await asio::this_coro::executor);
    nats_asio::connect_options o;
    o.servers = {server.url()};
    co_await conn.async_connect(o, use_awaitable);
    auto a = conn.subscribe("jobs", "workers");
    auto b = conn.subscribe("jobs", "workers");
    constexpr int total = 200;
    for (int i = 0; i < total; ++i) REQUIRE(!conn.publish("jobs", std::to_string(i)));
    std::map<std::string, int> seen;
    int got_a = 0, got_b = 0;
    // Each member drains what it got; together they got everything once.
    while (static_cast<int>(seen.size()) < total) {
      while (a.queued() > 0) ++seen[(co_await a.async_receive(use_awaitable)).payload], ++got_a;
      while (b.queued() > 0) ++seen[(co_await b.async_receive(use_awaitable)).payload], ++got_b;
      if (static_cast<int>(seen.size()) < total) {
        asio::steady_timer t(co_await asio::this_coro::executor, 10ms);
        co_await t.async_wait(use_awaitable);
      }
    }
    CHECK(seen.size() == total);
    for (auto& [payload, count] : seen) CHECK(count == 1);
    CHECK(got_a + got_b == total);
    CHECK(got_a > 0);  // both members take part
    CHECK(got_b > 0);
  }());
}
