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
#include <deque>
#include <mutex>

#include "nats_asio/detail/completion.hpp"

namespace nats_asio::detail {

class async_condition {
 public:
  using executor_type = boost::asio::any_io_executor;

  explicit async_condition(executor_type ex) : executor_(std::move(ex)) {}
  // Pending waits complete with operation_aborted.
  ~async_condition() {
    std::deque<completion_ptr<>> waiters;
    {
      std::lock_guard lock(mutex_);
      waiters.swap(waiters_);
    }
    for (auto& w : waiters) w->fail(boost::asio::error::operation_aborted);
  }
  async_condition(const async_condition&) = delete;
  async_condition& operator=(const async_condition&) = delete;

  executor_type get_executor() const { return executor_; }

  // Waits for the next notify. Signature: void(error_code). Cancellation
  // (any type): completes at once with operation_aborted; a notify_one()
  // then wakes the next waiter instead.
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_wait(Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(error_code)>(
        [this](auto handler) { add(make_completion<>(std::move(handler), executor_)); }, token);
  }

  // Wakes the longest waiting; false if nobody waits.
  bool notify_one() {
    std::unique_lock lock(mutex_);
    while (!waiters_.empty()) {
      auto w = std::move(waiters_.front());
      waiters_.pop_front();
      if (w->claim()) {
        lock.unlock();
        w->finish({});
        return true;
      }
    }
    return false;
  }

  // Wakes every waiter.
  void notify_all() {
    std::deque<completion_ptr<>> waiters;
    {
      std::lock_guard lock(mutex_);
      waiters.swap(waiters_);
    }
    for (auto& w : waiters)
      if (w->claim()) w->finish({});
  }

  std::size_t waiting() const {
    std::lock_guard lock(mutex_);
    return waiters_.size();
  }

 private:
  void add(const completion_ptr<>& c) {
    {
      std::lock_guard lock(mutex_);
      waiters_.push_back(c);
    }
    // Runs when the wait is cancelled (a notify claims without it).
    c->on_finish([this, weak = std::weak_ptr(c)] {
      auto self = weak.lock();
      if (!self) return;
      std::lock_guard lock(mutex_);
      std::erase(waiters_, self);
    });
  }

  executor_type executor_;
  mutable std::mutex mutex_;
  std::deque<completion_ptr<>> waiters_;
};

}  // namespace nats_asio::detail
