// How an exception from an internal coroutine reaches the operation waiting on it.
#include "nats_asio/detail/exception_to_error.hpp"

#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <stdexcept>

using namespace nats_asio;

TEST_CASE("no exception is no error") {
  boost::asio::io_context ioc;
  CHECK(!detail::exception_to_error(nullptr, ioc.get_executor()));
  CHECK(ioc.poll() == 0);
}

TEST_CASE("a system_error becomes its own code") {
  boost::asio::io_context ioc;
  const auto e = std::make_exception_ptr(
      boost::system::system_error(make_error_code(errc::permission_denied), "subscribe"));
  CHECK(detail::exception_to_error(e, ioc.get_executor()) == errc::permission_denied);
  CHECK(ioc.poll() == 0);  // nothing rethrown
}

TEST_CASE("bad_alloc becomes not_enough_memory") {
  boost::asio::io_context ioc;
  const auto code =
      detail::exception_to_error(std::make_exception_ptr(std::bad_alloc()), ioc.get_executor());
  CHECK(code == std::errc::not_enough_memory);
  CHECK(ioc.poll() == 0);
}

TEST_CASE("any other exception is a bug: rethrown out of io_context::run") {
  boost::asio::io_context ioc;
  const auto code = detail::exception_to_error(
      std::make_exception_ptr(std::logic_error("broken invariant")), ioc.get_executor());
  CHECK(code == std::errc::state_not_recoverable);
  CHECK_THROWS_WITH_AS(ioc.run(), "broken invariant", std::logic_error);
}
