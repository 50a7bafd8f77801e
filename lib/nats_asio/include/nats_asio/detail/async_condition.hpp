// A condition to wait on without blocking a thread: async_wait() suspends
// until notify_one() (the longest waiting first) or notify_all() wakes it.
//
// Nothing is remembered: a notify with nobody waiting is lost, so waiters
// re-check what they wait for, as with a condition variable:
//   while (!ready()) co_await changed.async_wait(asio::use_awaitable);
// Handlers are posted to their executors, never run inside a notify.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/error.hpp>

#include "nats_asio/detail/completion.hpp"
#include "nats_asio/detail/waiter_queue.hpp"

namespace nats_asio::detail {

class async_condition {
 public:
  using executor_type = boost::asio::any_io_executor;

  explicit async_condition(executor_type ex) : executor_(std::move(ex)) {}
  async_condition(const async_condition&) = delete;
  async_condition& operator=(const async_condition&) = delete;

  executor_type get_executor() const { return executor_; }

  // Waits for the next notify. Signature: void(error_code). Cancellation
  // (any type): completes at once with operation_aborted; a notify_one()
  // then wakes the next waiter instead.
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_wait(Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(error_code)>(
        [this](auto handler) { waiters_.add(make_completion<>(std::move(handler), executor_)); },
        token);
  }

  // Wakes the longest waiting; false if nobody waits.
  bool notify_one() { return waiters_.wake_one(); }

  // Wakes every waiter.
  void notify_all() { waiters_.finish_all({}); }

  std::size_t waiting() const { return waiters_.size(); }

 private:
  executor_type executor_;
  waiter_queue waiters_;  // destroyed first: pending waits end with operation_aborted
};

}  // namespace nats_asio::detail
