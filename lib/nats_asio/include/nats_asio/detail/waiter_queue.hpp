// The waiters of an async primitive (async_condition, async_semaphore), in
// order: one mutex guards the queue and the owner's own state, so that
// "wake a waiter or else remember it" is one step. Waiters are completions;
// a cancelled one leaves the queue by itself, and waking skips waiters that
// finished meanwhile. Handlers run on their executors, never under the lock.
#pragma once

#include <boost/asio/error.hpp>
#include <deque>
#include <mutex>

#include "nats_asio/detail/completion.hpp"

namespace nats_asio::detail {

class waiter_queue {
 public:
  waiter_queue() = default;
  // Pending waits complete with operation_aborted.
  ~waiter_queue() { finish_all(boost::asio::error::operation_aborted); }
  waiter_queue(const waiter_queue&) = delete;
  waiter_queue& operator=(const waiter_queue&) = delete;

  // Runs `take()` under the lock if nobody waits (first come, first served);
  // returns its result, or false when someone waits.
  template <typename Take>
  bool try_take(Take take) {
    std::lock_guard lock(mutex_);
    return waiters_.empty() && take();
  }

  // Queues `c` unless try_take(take) succeeds; returns true if `c` was queued.
  template <typename Take>
  bool add_unless(Take take, const completion_ptr<>& c) {
    {
      std::lock_guard lock(mutex_);
      if (waiters_.empty() && take()) return false;
      waiters_.push_back(c);
    }
    // Runs when the wait ends without a wake-up (cancellation, timeout).
    c->on_finish([this, weak = std::weak_ptr(c)] {
      auto self = weak.lock();
      if (!self) return;
      std::lock_guard lock(mutex_);
      std::erase(waiters_, self);
    });
    return true;
  }
  void add(const completion_ptr<>& c) {
    add_unless([] { return false; }, c);
  }

  // Completes the longest waiting with success; if nobody waits, runs
  // `none()` under the lock instead. Returns true if a waiter was woken.
  template <typename None>
  bool wake_one_or(None none) {
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
    none();
    return false;
  }
  bool wake_one() {
    return wake_one_or([] {});
  }

  // Completes every waiter with `ec` (success: a wake-up for all).
  void finish_all(error_code ec) {
    std::deque<completion_ptr<>> waiters;
    {
      std::lock_guard lock(mutex_);
      waiters.swap(waiters_);
    }
    for (auto& w : waiters)
      if (w->claim()) w->finish(ec);
  }

  // Reads the owner's state under the lock.
  template <typename Read>
  auto read(Read r) const {
    std::lock_guard lock(mutex_);
    return r();
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return waiters_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::deque<completion_ptr<>> waiters_;
};

}  // namespace nats_asio::detail
