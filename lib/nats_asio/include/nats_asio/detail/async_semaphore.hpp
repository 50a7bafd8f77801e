// Counting semaphore whose acquire is an Asio wait: bounds in-flight work
// without ever blocking a thread.
#pragma once

#include <deque>
#include <mutex>

#include "nats_asio/detail/completion.hpp"

namespace nats_asio::detail {

class async_semaphore {
 public:
  explicit async_semaphore(std::size_t count) : available_(count) {}
  ~async_semaphore() {
    std::deque<completion_ptr<>> waiters;
    {
      std::lock_guard lock(mutex_);
      waiters.swap(waiters_);
    }
    for (auto& w : waiters) w->fail(boost::asio::error::operation_aborted);
  }
  async_semaphore(const async_semaphore&) = delete;
  async_semaphore& operator=(const async_semaphore&) = delete;

  // Completes `c` once a unit is available. A cancelled wait takes no unit.
  void acquire(const completion_ptr<>& c) {
    std::unique_lock lock(mutex_);
    if (available_ > 0 && waiters_.empty()) {
      --available_;
      lock.unlock();
      // Not cancellable any more: give the unit back if the caller is gone.
      if (!c->complete({})) release();
      return;
    }
    waiters_.push_back(c);
    lock.unlock();
    c->on_finish([this, weak = std::weak_ptr(c)] {
      auto self = weak.lock();
      if (!self) return;
      std::lock_guard guard(mutex_);
      std::erase(waiters_, self);
    });
  }

  // Takes a unit if one is free and nobody waits; never waits.
  bool try_acquire() {
    std::lock_guard lock(mutex_);
    if (available_ == 0 || !waiters_.empty()) return false;
    --available_;
    return true;
  }

  void release() {
    std::unique_lock lock(mutex_);
    while (!waiters_.empty()) {
      auto w = std::move(waiters_.front());
      waiters_.pop_front();
      if (w->claim()) {
        lock.unlock();
        w->finish({});
        return;
      }
    }
    ++available_;
  }

  std::size_t available() const {
    std::lock_guard lock(mutex_);
    return available_;
  }

 private:
  mutable std::mutex mutex_;
  std::size_t available_;
  std::deque<completion_ptr<>> waiters_;
};

}  // namespace nats_asio::detail
