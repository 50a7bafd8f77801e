// Small coroutine helpers shared by the integration tests.
#pragma once

#include <doctest/doctest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "nats_asio/connection.hpp"
#include "nats_asio/jetstream.hpp"
#include "nats_server.hpp"

namespace test_support {

// Connects to `servers` with quick reconnects (tests restart servers) and
// fails the test with nats.c's text if it cannot.
inline boost::asio::awaitable<nats_asio::connection> connect_to(std::vector<std::string> servers,
                                                                bool send_asap = true) {
  nats_asio::connection conn(co_await boost::asio::this_coro::executor);
  nats_asio::connect_options o;
  o.servers = std::move(servers);
  o.name = "test";
  o.send_asap = send_asap;
  o.reconnect_wait = std::chrono::milliseconds(100);
  auto [ec, detail] =
      co_await conn.async_connect(o, boost::asio::as_tuple(boost::asio::use_awaitable));
  REQUIRE_MESSAGE(!ec, ec.message() << ": " << detail);
  co_return conn;
}

inline boost::asio::awaitable<nats_asio::connection> connect_to(const nats_server& server,
                                                                bool send_asap = true) {
  std::vector<std::string> servers{server.url()};
  co_return co_await connect_to(std::move(servers), send_asap);
}

// The payloads stored on `subject` in `stream`, oldest first, read with an
// ephemeral consumer that acknowledges nothing.
inline boost::asio::awaitable<std::vector<std::string>> stored_payloads(
    nats_asio::jetstream& js, const std::string& stream, const std::string& subject) {
  nats_asio::consumer_config cc;
  cc.filter_subject = subject;
  cc.ack = nats_asio::ack_policy::none;
  auto sub = co_await js.async_subscribe(stream, cc, 65536, boost::asio::use_awaitable);
  std::vector<std::string> out;
  const auto pending = sub.info().num_pending;
  while (out.size() < pending)
    out.push_back((co_await sub.async_receive(boost::asio::use_awaitable)).payload());
  co_return out;
}

inline boost::asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, d);
  co_await t.async_wait(boost::asio::use_awaitable);
}

// Runs `work` while a timer on the same io_context repeatedly waits 20 ms;
// returns how late the timer fired at worst. A small value proves that `work`
// never blocked the io_context thread.
template <typename T>
boost::asio::awaitable<std::chrono::milliseconds> worst_timer_delay_during(
    boost::asio::awaitable<T> work) {
  using namespace boost::asio::experimental::awaitable_operators;
  using std::chrono::steady_clock;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  std::chrono::milliseconds worst{0};
  bool working = true;
  auto run = [&]() -> boost::asio::awaitable<void> {
    co_await std::move(work);
    working = false;
  };
  auto probe = [&]() -> boost::asio::awaitable<void> {
    while (working) {
      const auto deadline = steady_clock::now() + std::chrono::milliseconds(20);
      timer.expires_at(deadline);
      co_await timer.async_wait(boost::asio::use_awaitable);
      worst = std::max(worst, std::chrono::duration_cast<std::chrono::milliseconds>(
                                  steady_clock::now() - deadline));
    }
  };
  co_await (run() && probe());
  co_return worst;
}

}  // namespace test_support
