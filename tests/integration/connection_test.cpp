// Core NATS through the library against a real nats-server.
#include "nats_asio/connection.hpp"

#include <doctest/doctest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <thread>

#include "nats_server.hpp"
#include "run_async.hpp"
#include "test_connection.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;
using asio::awaitable;
using asio::use_awaitable;
using nats_asio::errc;
using nats_asio::error_code;
using test_support::connect_to;
using test_support::nats_server;
using test_support::run_async;
using test_support::sleep_for;
using test_support::worst_timer_delay_during;

TEST_CASE("connect, publish with headers, subscribe and receive") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    CHECK(conn.is_open());
    auto sub = conn.subscribe("greet.*");
    REQUIRE(!conn.publish("greet.alice", "hello", {{"X-Trace", "42"}, {"X-Trace", "43"}}));
    auto msg = co_await sub.async_receive(use_awaitable);
    CHECK(msg.subject == "greet.alice");
    CHECK(msg.payload == "hello");
    REQUIRE(msg.header("X-Trace").has_value());
    CHECK(*msg.header("X-Trace") == "42");
    CHECK(std::count_if(msg.headers.begin(), msg.headers.end(),
                        [](auto& h) { return h.first == "X-Trace"; }) == 2);
    co_await conn.async_close(use_awaitable);
    CHECK(!conn.is_open());
  }());
}

TEST_CASE("connecting to a server that is not there fails with a clear error") {
  asio::io_context ioc;
  run_async(ioc, []() -> awaitable<void> {
    nats_asio::connection conn(co_await asio::this_coro::executor);
    nats_asio::connect_options o;
    o.servers = {"nats://127.0.0.1:1"};  // nothing listens on port 1
    o.connect_timeout = 500ms;
    const auto start = std::chrono::steady_clock::now();
    auto [ec, detail] = co_await conn.async_connect(o, asio::as_tuple(use_awaitable));
    CHECK(ec);
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK(!conn.is_open());
  }());
}

TEST_CASE("request/reply, no responders and timeout") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    auto responder = conn.subscribe("svc.echo");
    auto serve = [&]() -> awaitable<void> {
      auto req = co_await responder.async_receive(use_awaitable);
      REQUIRE(!conn.publish(req.reply, "echo:" + req.payload));
    };
    asio::co_spawn(co_await asio::this_coro::executor, serve(), asio::detached);
    auto reply = co_await conn.async_request("svc.echo", "ping", 2s, use_awaitable);
    CHECK(reply.payload == "echo:ping");

    auto [ec1, r1] =
        co_await conn.async_request("svc.nobody", "x", 2s, asio::as_tuple(use_awaitable));
    CHECK(ec1 == errc::no_responders);

    auto silent = conn.subscribe("svc.silent");
    const auto start = std::chrono::steady_clock::now();
    auto [ec2, r2] =
        co_await conn.async_request("svc.silent", "x", 200ms, asio::as_tuple(use_awaitable));
    CHECK(ec2 == errc::timeout);
    CHECK(std::chrono::steady_clock::now() - start >= 200ms);
    CHECK(std::chrono::steady_clock::now() - start < 700ms);
  }());
}

TEST_CASE("requests with different timeouts each time out on their own deadline") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    auto silent = conn.subscribe("svc.silent");
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::chrono::milliseconds> took(3);
    int done = 0;
    auto ask = [&](int i, std::chrono::milliseconds timeout) -> awaitable<void> {
      auto [ec, r] =
          co_await conn.async_request("svc.silent", "x", timeout, asio::as_tuple(use_awaitable));
      CHECK(ec == errc::timeout);
      took[i] = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - start);
      ++done;
    };
    auto ex = co_await asio::this_coro::executor;
    asio::co_spawn(ex, ask(0, 600ms), asio::detached);
    asio::co_spawn(ex, ask(1, 100ms), asio::detached);
    asio::co_spawn(ex, ask(2, 300ms), asio::detached);
    while (done < 3) co_await test_support::sleep_for(20ms);
    CHECK(took[1] >= 100ms);
    CHECK(took[1] < 300ms);
    CHECK(took[2] >= 300ms);
    CHECK(took[2] < 600ms);
    CHECK(took[0] >= 600ms);
    CHECK(took[0] < 1000ms);
  }());
}

TEST_CASE("an answered request leaves no deadline timer keeping the io_context running") {
  nats_server server;
  asio::io_context ioc;
  // run_async fails if work is left when its 20 s are up: a timer armed for
  // the request's 10-minute deadline and not stopped would be.
  run_async(
      ioc,
      [&]() -> awaitable<void> {
        auto conn = co_await connect_to(server);
        auto responder = conn.subscribe("svc.echo");
        auto serve = [&]() -> awaitable<void> {
          for (int i = 0; i < 2; ++i) {
            auto req = co_await responder.async_receive(use_awaitable);
            REQUIRE(!conn.publish(req.reply, "echo:" + req.payload));
          }
        };
        asio::co_spawn(co_await asio::this_coro::executor, serve(), asio::detached);
        auto first = co_await conn.async_request("svc.echo", "1", 10min, use_awaitable);
        auto second = co_await conn.async_request("svc.echo", "2", 5min, use_awaitable);
        CHECK(first.payload == "echo:1");
        CHECK(second.payload == "echo:2");
      }(),
      20s);
}

TEST_CASE("a slow request leaves the io_context free") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    auto responder = conn.subscribe("svc.slow");
    auto ex = co_await asio::this_coro::executor;
    // The responder answers 500 ms late, from its own thread.
    std::thread slow_peer;
    auto serve = [&]() -> awaitable<void> {
      auto req = co_await responder.async_receive(use_awaitable);
      slow_peer = std::thread([&conn, reply = req.reply] {
        std::this_thread::sleep_for(500ms);
        (void)conn.publish(reply, "late");
      });
    };
    asio::co_spawn(ex, serve(), asio::detached);
    auto request = [&]() -> awaitable<nats_asio::message> {
      co_return co_await conn.async_request("svc.slow", "x", 3s, use_awaitable);
    };
    auto lateness = co_await worst_timer_delay_during(request());
    // A blocking request would hold the thread for the whole 500 ms; half of
    // that leaves room for a loaded machine (or a sanitizer build).
    CHECK(lateness < 250ms);
    slow_peer.join();
  }());
}

TEST_CASE("a pending receive is cancelled at once and consumes nothing") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    auto sub = conn.subscribe("cancel.me");
    asio::cancellation_signal signal;
    auto ex = co_await asio::this_coro::executor;
    std::optional<error_code> result;
    sub.async_receive(asio::bind_cancellation_slot(
        signal.slot(), [&](error_code ec, nats_asio::message) { result = ec; }));
    asio::steady_timer t(ex, 50ms);
    co_await t.async_wait(use_awaitable);
    CHECK(!result);
    signal.emit(asio::cancellation_type::terminal);
    t.expires_after(10ms);
    co_await t.async_wait(use_awaitable);
    REQUIRE(result);
    CHECK(*result == asio::error::operation_aborted);
    // The next message goes to the next receive, not the cancelled one.
    REQUIRE(!conn.publish("cancel.me", "kept"));
    auto msg = co_await sub.async_receive(use_awaitable);
    CHECK(msg.payload == "kept");
  }());
}

TEST_CASE("destroying a subscription or connection with operations pending is safe") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    std::optional<error_code> receive_result, request_result;
    {
      auto conn = co_await connect_to(server);
      auto silent = conn.subscribe("nobody.answers");
      {
        auto sub = conn.subscribe("pending.receive");
        sub.async_receive([&](error_code ec, nats_asio::message) { receive_result = ec; });
      }  // subscription destroyed with the receive pending
      conn.async_request("nobody.answers", "x", 10s,
                         [&](error_code ec, nats_asio::message) { request_result = ec; });
    }  // connection destroyed with the request pending
    asio::steady_timer t(ex);
    for (int i = 0; i < 200 && !(receive_result && request_result); ++i) {
      t.expires_after(10ms);
      co_await t.async_wait(use_awaitable);
    }
    REQUIRE(receive_result);
    CHECK(*receive_result == errc::subscription_closed);
    REQUIRE(request_result);
    CHECK(*request_result == errc::connection_closed);
  }());
}

TEST_CASE("connection events: disconnected and reconnected across a server restart") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    auto sub = conn.subscribe("after.restart");
    server.kill_hard();
    auto ev = co_await conn.async_next_event(use_awaitable);
    CHECK(ev.what == nats_asio::connection_event::kind::disconnected);
    server.start();
    ev = co_await conn.async_next_event(use_awaitable);
    CHECK(ev.what == nats_asio::connection_event::kind::reconnected);
    // The subscription was re-established by the reconnect.
    REQUIRE(!conn.publish("after.restart", "again"));
    auto msg = co_await sub.async_receive(use_awaitable);
    CHECK(msg.payload == "again");
    co_await conn.async_close(use_awaitable);
    // nats.c reports the disconnect of a requested close too; closed comes last.
    do ev = co_await conn.async_next_event(use_awaitable);
    while (ev.what == nats_asio::connection_event::kind::disconnected);
    CHECK(ev.what == nats_asio::connection_event::kind::closed);
    CHECK(!ev.error);
    auto [ec, none] = co_await conn.async_next_event(asio::as_tuple(use_awaitable));
    CHECK(ec == errc::connection_closed);
  }());
}

TEST_CASE("drain delivers what is in flight, then closes") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    auto sub = conn.subscribe("drain.me");
    for (int i = 0; i < 100; ++i) REQUIRE(!conn.publish("drain.me", std::to_string(i)));
    co_await conn.async_drain(5s, use_awaitable);
    CHECK(!conn.is_open());
    int received = 0;
    while (true) {
      auto [ec, msg] = co_await sub.async_receive(asio::as_tuple(use_awaitable));
      if (ec) {
        CHECK(ec == errc::subscription_closed);
        break;
      }
      CHECK(msg.payload == std::to_string(received));
      ++received;
    }
    CHECK(received == 100);
  }());
}

TEST_CASE("a slow reader learns how many messages its full queue dropped, then reads on") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    auto sub = conn.subscribe("slow.reader", {}, 3);
    for (int i = 1; i <= 10; ++i) REQUIRE(!conn.publish("slow.reader", std::to_string(i)));
    // Nothing is received until every message has reached the subscription.
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (sub.queued() + sub.dropped() < 10 && std::chrono::steady_clock::now() < until)
      co_await sleep_for(5ms);
    REQUIRE(sub.queued() == 3);
    CHECK(sub.dropped() == 7);
    for (const char* expected : {"1", "2", "3"}) {
      auto [ec, msg] = co_await sub.async_receive(asio::as_tuple(use_awaitable));
      REQUIRE(!ec);
      CHECK(msg.payload == expected);
    }
    auto [ec, none] = co_await sub.async_receive(asio::as_tuple(use_awaitable));
    CHECK(ec == errc::queue_overflow);
    CHECK(sub.last_gap() == 7);
    // Reported once: the next receive gets the next message.
    REQUIRE(!conn.publish("slow.reader", "11"));
    auto msg = co_await sub.async_receive(use_awaitable);
    CHECK(msg.payload == "11");
  }());
}
