// What every scenario gets: the server, the io_context the library runs on,
// the sensor program, a scratch directory; and the helpers to run library
// coroutines and blocking nats.c code from the benchmark's main thread.
#pragma once

#include <sys/types.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <exception>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "nats_asio/connect_options.hpp"
#include "nats_asio/connection.hpp"

namespace bench {

struct bench_env {
  explicit bench_env(boost::asio::io_context& context) : ioc(context) {}

  boost::asio::io_context& ioc;
  std::string url;
  pid_t server_pid = -1;  // -1: a server given with --server, not measured
  std::string sensor_bin;
  std::string server_bin;   // iot-server, for the historian scenario
  std::string sim_bin;      // iot-sim, for the cli scenario
  std::string oneshot_bin;  // iot-bench-oneshot, the cli scenario's nats.c floor
  std::filesystem::path scratch;
  std::function<void(const std::string&)> progress;  // one line to stderr
  // Replaces the server with a new one (empty store, fresh process) and
  // updates url and server_pid; empty for a server given with --server.
  std::function<void()> fresh_server;
  // Stops the server and starts it again on the same store; updates
  // server_pid. Empty for a server given with --server.
  std::function<void()> restart_server;
};

// The ~120-byte measurement-like JSON payload every throughput run sends.
const std::string& sample_payload();

// The 1-minute load average, to be reported beside figures from a shared machine.
double load_average();

// `value` rounded to `digits` decimals, so JSON lines stay readable.
double rounded(double value, int digits = 1);

// Connects with `options` (servers replaced by the env's URL); throws
// std::runtime_error with nats.c's text on failure.
boost::asio::awaitable<nats_asio::connection> connect(const bench_env& env,
                                                      nats_asio::connect_options options);
// The same with default options (g++ 12 miscompiles braced temporaries in co_await).
boost::asio::awaitable<nats_asio::connection> connect(const bench_env& env);

// A run that did not finish in time. Its coroutine may still hold references
// into the stack that unwinding destroys: the io_context must not run again,
// so the benchmark ends (see main.cpp).
struct timeout_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace detail {
// Runs `ioc` until `finished` or `limit`; then a little longer, so that what
// the work left behind (a connection's background close) can end.
void drive(boost::asio::io_context& ioc, const bool& finished, std::chrono::seconds limit);
}  // namespace detail

// Runs `work` on `ioc` and returns its result; rethrows its exception. Throws
// timeout_error if it has not finished after `limit`.
template <typename T>
T run_coro(boost::asio::io_context& ioc, boost::asio::awaitable<T> work,
           std::chrono::seconds limit) {
  std::optional<T> result;
  std::exception_ptr error;
  bool finished = false;
  boost::asio::co_spawn(ioc, std::move(work), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) result.emplace(std::move(value));
    finished = true;
  });
  detail::drive(ioc, finished, limit);
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

inline void run_coro(boost::asio::io_context& ioc, boost::asio::awaitable<void> work,
                     std::chrono::seconds limit) {
  std::exception_ptr error;
  bool finished = false;
  boost::asio::co_spawn(ioc, std::move(work), [&](std::exception_ptr e) {
    error = e;
    finished = true;
  });
  detail::drive(ioc, finished, limit);
  if (error) std::rethrow_exception(error);
}

// Runs blocking nats.c code on a plain thread and waits for it; rethrows its exception.
template <typename F>
auto on_plain_thread(F f) -> decltype(f()) {
  std::optional<decltype(f())> result;
  std::exception_ptr error;
  std::thread t([&] {
    try {
      result.emplace(f());
    } catch (...) {
      error = std::current_exception();
    }
  });
  t.join();
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

}  // namespace bench
