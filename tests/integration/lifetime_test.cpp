// Lifetimes across the bridge: objects destroyed or operations cancelled
// while nats.c is still working for them. Every operation completes (or is
// dropped) exactly once, nothing waits on an io_context thread, and the
// connection's shared state is released once nats.c has closed the
// connection: nothing is kept for the rest of the process.
#include <doctest/doctest.h>
#include <signal.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "nats_asio/connection.hpp"
#include "nats_asio/detail/access.hpp"
#include "nats_asio/detail/connection_core.hpp"
#include "nats_asio/jetstream.hpp"
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
using test_support::connect_to;
using test_support::nats_server;
using test_support::run_async;
using test_support::sleep_for;
using tcp = asio::ip::tcp;

namespace {

using weak_core = std::weak_ptr<nats_asio::detail::connection_core>;

// Waits (polling the condition, at most `limit`) until `done()` holds.
awaitable<bool> eventually(const std::function<bool()>& done, std::chrono::seconds limit = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) co_return false;
    co_await sleep_for(5ms);
  }
  co_return true;
}

// The shared state goes once nats.c has closed the connection and dropped
// its references: neither leaked nor kept for the rest of the process.
awaitable<void> require_released(const weak_core& core) {
  const bool released = co_await eventually([&] { return core.expired(); });
  REQUIRE_MESSAGE(released, "the connection's state is still referenced");
}

// True once every thread of `pid` has stopped (SIGSTOP takes effect
// asynchronously): state 'T' in each /proc/<pid>/task/<tid>/stat.
bool stopped(pid_t pid) {
  std::error_code ec;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const auto end_of_name = line.rfind(')');
    if (end_of_name == std::string::npos || line.size() <= end_of_name + 2 ||
        line[end_of_name + 2] != 'T')
      return false;
  }
  return !ec;
}

nats_asio::connect_options options_for(int port) {
  nats_asio::connect_options o;
  o.servers = {"nats://127.0.0.1:" + std::to_string(port)};
  o.name = "lifetime";
  o.connect_timeout = 1s;
  o.max_reconnect_attempts = 0;
  return o;
}

// A loopback port where a test plays the server by hand.
struct scripted_server {
  explicit scripted_server(const asio::any_io_executor& ex)
      : acceptor(ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
  int port() const { return acceptor.local_endpoint().port(); }
  tcp::acceptor acceptor;
};

// The server's side of a NATS handshake: INFO, then PONG to the client's PING.
awaitable<void> complete_handshake(tcp::socket& socket) {
  const std::string info =
      "INFO {\"server_id\":\"scripted\",\"version\":\"2.9.10\",\"proto\":1,"
      "\"max_payload\":1048576,\"headers\":true}\r\n";
  co_await asio::async_write(socket, asio::buffer(info), use_awaitable);
  asio::streambuf in;
  co_await asio::async_read_until(socket, in, "PING\r\n", use_awaitable);
  co_await asio::async_write(socket, asio::buffer(std::string("PONG\r\n")), use_awaitable);
}

// Reads until the client hangs up; returns how the read ended.
awaitable<error_code> read_until_closed(tcp::socket& socket) {
  std::array<char, 1024> buf{};
  while (true) {
    auto [ec, n] =
        co_await socket.async_read_some(asio::buffer(buf), asio::as_tuple(use_awaitable));
    if (ec) co_return ec;
  }
}

}  // namespace

TEST_CASE("a connection destroyed while its connect succeeds is closed by the connect") {
  asio::io_context ioc;
  run_async(ioc, []() -> awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    scripted_server server(ex);
    std::optional<error_code> result;
    weak_core core;
    tcp::socket socket(ex);
    {
      nats_asio::connection conn(ex);
      conn.async_connect(options_for(server.port()),
                         [&](error_code ec, std::string) { result = ec; });
      core = nats_asio::detail::access::core(conn);
      socket = co_await server.acceptor.async_accept(use_awaitable);  // the connect is under way
    }
    CHECK(!result);
    co_await complete_handshake(socket);  // nats.c's connect now succeeds
    REQUIRE(co_await eventually([&] { return result.has_value(); }));
    CHECK(*result == errc::connection_closed);
    // The connect closed the connection it made: the client hangs up.
    CHECK(co_await read_until_closed(socket) == asio::error::eof);
    co_await require_released(core);
  }());
}

TEST_CASE("a connection destroyed or cancelled while its server is silent ends cleanly") {
  asio::io_context ioc;
  bool cancel = false;
  SUBCASE("destroyed") {}
  SUBCASE("cancelled") { cancel = true; }
  run_async(ioc, [cancel]() -> awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    scripted_server server(ex);  // accepts, then never says a word
    std::optional<error_code> result;
    weak_core core;
    asio::cancellation_signal signal;
    tcp::socket socket(ex);
    {
      nats_asio::connection conn(ex);
      conn.async_connect(options_for(server.port()),
                         asio::bind_cancellation_slot(
                             signal.slot(), [&](error_code ec, std::string) { result = ec; }));
      core = nats_asio::detail::access::core(conn);
      socket = co_await server.acceptor.async_accept(use_awaitable);
      if (cancel) {
        signal.emit(asio::cancellation_type::terminal);
        REQUIRE(co_await eventually([&] { return result.has_value(); }));
        CHECK(*result == asio::error::operation_aborted);
      }
    }  // destroyed while nats.c waits for the INFO
    REQUIRE(co_await eventually([&] { return result.has_value(); }));
    if (!cancel) CHECK(*result == errc::connection_closed);
    co_await require_released(core);  // after nats.c's connect timeout
  }());
}

TEST_CASE("a connection destroyed or cancelled while connecting to a running server ends cleanly") {
  nats_server server;
  asio::io_context ioc;
  bool cancel = false;
  SUBCASE("destroyed") {}
  SUBCASE("cancelled") { cancel = true; }
  run_async(ioc, [&, cancel]() -> awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    std::optional<error_code> result;
    weak_core core;
    asio::cancellation_signal signal;
    {
      nats_asio::connection conn(ex);
      conn.async_connect(options_for(server.port()),
                         asio::bind_cancellation_slot(
                             signal.slot(), [&](error_code ec, std::string) { result = ec; }));
      core = nats_asio::detail::access::core(conn);
      if (cancel) signal.emit(asio::cancellation_type::terminal);
    }
    REQUIRE(co_await eventually([&] { return result.has_value(); }));
    // The connect may have finished before the cancellation or the destructor.
    if (cancel)
      CHECK((!*result || *result == asio::error::operation_aborted));
    else
      CHECK((!*result || *result == errc::connection_closed));
    co_await require_released(core);
  }());
}

TEST_CASE("a connection destroyed or cancelled while connecting to nothing ends cleanly") {
  asio::io_context ioc;
  bool cancel = false;
  SUBCASE("destroyed") {}
  SUBCASE("cancelled") { cancel = true; }
  const int port = test_support::reserve_port();  // free, and nothing listens
  run_async(ioc, [port, cancel]() -> awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    std::optional<error_code> result;
    weak_core core;
    asio::cancellation_signal signal;
    {
      nats_asio::connection conn(ex);
      conn.async_connect(options_for(port),
                         asio::bind_cancellation_slot(
                             signal.slot(), [&](error_code ec, std::string) { result = ec; }));
      core = nats_asio::detail::access::core(conn);
      if (cancel) signal.emit(asio::cancellation_type::terminal);
    }
    REQUIRE(co_await eventually([&] { return result.has_value(); }));
    // Aborted, closed before it began, or refused before either came.
    CHECK(*result);
    co_await require_released(core);
  }());
  test_support::release_port(port);
}

TEST_CASE("async_close completes after nats.c has ended every subscription") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    auto conn = co_await connect_to(server);
    std::optional<error_code> first, second;
    auto a = conn.subscribe("close.a");
    auto b = conn.subscribe("close.b", "workers");
    a.async_receive([&](error_code ec, nats_asio::message) { first = ec; });
    b.async_receive([&](error_code ec, nats_asio::message) { second = ec; });
    co_await conn.async_close(use_awaitable);
    // Each OnComplete closed its queue before the close completed.
    REQUIRE(first);
    REQUIRE(second);
    CHECK(*first == errc::subscription_closed);
    CHECK(*second == errc::subscription_closed);
    CHECK(!conn.is_open());
    co_await conn.async_close(use_awaitable);  // again: nothing left to wait for
  }());
}

TEST_CASE("a close or drain pending when the connection is destroyed still completes") {
  nats_server server;
  asio::io_context ioc;
  bool drain = false;
  SUBCASE("close") {}
  SUBCASE("drain") { drain = true; }
  run_async(ioc, [&, drain]() -> awaitable<void> {
    std::optional<error_code> result;
    std::optional<error_code> receive_result;
    weak_core core;
    {
      auto conn = co_await connect_to(server);
      core = nats_asio::detail::access::core(conn);
      auto sub = conn.subscribe("pending.close");
      sub.async_receive([&](error_code ec, nats_asio::message) { receive_result = ec; });
      auto done = [&](error_code ec) { result = ec; };
      if (drain)
        conn.async_drain(2s, done);
      else
        conn.async_close(done);
    }
    REQUIRE(co_await eventually([&] { return result.has_value() && receive_result.has_value(); }));
    CHECK(!*result);
    CHECK(*receive_result == errc::subscription_closed);
    co_await require_released(core);
  }());
}

TEST_CASE("destroying every kind of object with operations pending on a frozen server") {
  nats_server server;
  asio::io_context ioc;
  run_async(ioc, [&]() -> awaitable<void> {
    std::optional<error_code> request, event, receive, js_receive, watch_next, publish_ack, kv_get,
        kv_put;
    weak_core core;
    {
      auto conn = co_await connect_to(server);
      core = nats_asio::detail::access::core(conn);
      nats_asio::jetstream js(conn);
      nats_asio::stream_config stream;
      stream.name = "FROZEN";
      stream.subjects = {"frozen.>"};
      co_await js.async_ensure_stream(stream, use_awaitable);
      const nats_asio::consumer_config consumer;  // named: GCC 12 frees a temporary here twice
      auto js_sub = co_await js.async_subscribe("FROZEN", consumer, 16, use_awaitable);
      nats_asio::kv_config cfg;
      cfg.bucket = "FROZEN_KV";
      nats_asio::diagnostics diag;
      auto kv = co_await nats_asio::async_create_key_value(js, cfg, diag, use_awaitable);
      auto watcher = co_await kv.async_watch(">", use_awaitable);
      auto marker = co_await watcher.async_next(use_awaitable);
      CHECK(marker.operation == nats_asio::kv_operation::initial_done);
      auto sub = conn.subscribe("frozen.core");

      // From here on the server reads and answers nothing.
      REQUIRE(::kill(server.pid(), SIGSTOP) == 0);
      REQUIRE(co_await eventually([&] { return stopped(server.pid()); }));
      conn.async_request("nobody.request", "x", 60s,
                         [&](error_code ec, nats_asio::message) { request = ec; });
      conn.async_next_event([&](error_code ec, nats_asio::connection_event ev) {
        // The closed event itself, or the end of the events.
        event =
            ec ? ec
               : (ev.what == nats_asio::connection_event::kind::closed ? error_code{} : ev.error);
      });
      sub.async_receive([&](error_code ec, nats_asio::message) { receive = ec; });
      js_sub.async_receive([&](error_code ec, nats_asio::js_message) { js_receive = ec; });
      watcher.async_next([&](error_code ec, nats_asio::kv_entry) { watch_next = ec; });
      js.async_publish("frozen.publish", "x", [&](error_code ec, auto) { publish_ack = ec; });
      kv.async_get("key", [&](error_code ec, nats_asio::kv_entry) { kv_get = ec; });
      kv.async_put("key", "value", [&](error_code ec, std::uint64_t) { kv_put = ec; });
    }  // sub, watcher, kv, js_sub, js and conn destroyed, in that order
    const bool all = co_await eventually([&] {
      return request && event && receive && js_receive && watch_next && publish_ack && kv_get &&
             kv_put;
    });
    ::kill(server.pid(), SIGCONT);
    REQUIRE(all);
    CHECK(*request == errc::connection_closed);
    CHECK((!*event || *event == errc::connection_closed));
    CHECK(*receive == errc::subscription_closed);
    CHECK(*js_receive == errc::subscription_closed);
    CHECK(*watch_next == errc::subscription_closed);
    CHECK(*publish_ack == errc::connection_closed);
    CHECK(*kv_get == errc::connection_closed);
    CHECK(*kv_put == errc::connection_closed);
    co_await require_released(core);
  }());
}
