// Runs a coroutine to completion on an io_context with a hard deadline, so a
// broken operation fails its test instead of hanging the suite. It then runs
// until no work is left: every operation the library started (including the
// background close of a destroyed connection) must finish, which is also what
// makes destroying the io_context afterwards safe.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>

namespace test_support {

template <typename T>
T run_async(boost::asio::io_context& ioc, boost::asio::awaitable<T> work,
            std::chrono::seconds limit = std::chrono::seconds(60)) {
  std::optional<T> result;
  std::exception_ptr error;
  bool finished = false;
  boost::asio::co_spawn(ioc, std::move(work), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) result.emplace(std::move(value));
    finished = true;
  });
  ioc.restart();
  ioc.run_for(limit);
  if (!finished) throw std::runtime_error("test coroutine did not finish within its deadline");
  if (!ioc.stopped()) throw std::runtime_error("operations left pending after the test coroutine");
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

inline void run_async(boost::asio::io_context& ioc, boost::asio::awaitable<void> work,
                      std::chrono::seconds limit = std::chrono::seconds(60)) {
  std::exception_ptr error;
  bool finished = false;
  boost::asio::co_spawn(ioc, std::move(work), [&](std::exception_ptr e) {
    error = e;
    finished = true;
  });
  ioc.restart();
  ioc.run_for(limit);
  if (!finished) throw std::runtime_error("test coroutine did not finish within its deadline");
  if (!ioc.stopped()) throw std::runtime_error("operations left pending after the test coroutine");
  if (error) std::rethrow_exception(error);
}

}  // namespace test_support
