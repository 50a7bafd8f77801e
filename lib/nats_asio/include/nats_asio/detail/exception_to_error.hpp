// What an exception escaping an internal coroutine means for the operation
// waiting on it. A system_error carries its own code and bad_alloc is
// not_enough_memory; anything else is a bug, which must not pass for an error
// the caller could handle: it is rethrown from a handler posted to the
// executor, so it leaves io_context::run() as an exception from any handler
// would.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/system_error.hpp>
#include <exception>
#include <new>

#include "nats_asio/error.hpp"

namespace nats_asio::detail {

// The code for `e` (empty if there is none). For a bug, the waiting operation
// gets state_not_recoverable, so that a program that goes on running the
// executor after the rethrow does not wait for it forever.
inline error_code exception_to_error(std::exception_ptr e, const boost::asio::any_io_executor& ex) {
  if (!e) return {};
  try {
    std::rethrow_exception(e);
  } catch (const boost::system::system_error& failure) {
    return failure.code();
  } catch (const std::bad_alloc&) {
    return make_error_code(boost::system::errc::not_enough_memory);
  } catch (...) {
    boost::asio::post(ex, [e] { std::rethrow_exception(e); });
    return make_error_code(boost::system::errc::state_not_recoverable);
  }
}

}  // namespace nats_asio::detail
