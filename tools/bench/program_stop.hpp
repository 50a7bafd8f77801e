// Waiting without blocking the io_context: a timer sleep, and stopping a
// program the benchmark started (SIGTERM, then polling until it exits).
#pragma once

#include <signal.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "program_process.hpp"

namespace bench {

inline boost::asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration d) {
  boost::asio::steady_timer t(co_await boost::asio::this_coro::executor, d);
  co_await t.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
}

// SIGTERM, then polls until it exits; SIGKILL after `limit`. Its exit code.
inline boost::asio::awaitable<int> stop_program(program_process& p,
                                                std::chrono::steady_clock::duration limit) {
  using namespace std::chrono_literals;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  ::kill(p.pid(), SIGTERM);
  while (!p.exit_code() && std::chrono::steady_clock::now() < deadline) co_await sleep_for(10ms);
  co_return p.exit_code() ? *p.exit_code() : p.stop(0ms);
}

}  // namespace bench
