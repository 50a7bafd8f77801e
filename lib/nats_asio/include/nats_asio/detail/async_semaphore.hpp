// Counting semaphore whose acquire is an Asio wait: bounds in-flight work
// without ever blocking a thread.
#pragma once

#include "nats_asio/detail/completion.hpp"
#include "nats_asio/detail/waiter_queue.hpp"

namespace nats_asio::detail {

class async_semaphore {
 public:
  explicit async_semaphore(std::size_t count) : available_(count) {}
  async_semaphore(const async_semaphore&) = delete;
  async_semaphore& operator=(const async_semaphore&) = delete;

  // Completes `c` once a unit is available. A cancelled wait takes no unit.
  void acquire(const completion_ptr<>& c) {
    if (waiters_.add_unless([this] { return take(); }, c)) return;
    // Not cancellable any more: give the unit back if the caller is gone.
    if (!c->complete({})) release();
  }

  // Takes a unit if one is free and nobody waits; never waits.
  bool try_acquire() {
    return waiters_.try_take([this] { return take(); });
  }

  // Hands the unit to the longest waiting, or keeps it.
  void release() {
    waiters_.wake_one_or([this] { ++available_; });
  }

  std::size_t available() const {
    return waiters_.read([this] { return available_; });
  }

 private:
  bool take() {  // under the queue's lock
    if (available_ == 0) return false;
    --available_;
    return true;
  }

  std::size_t available_;  // guarded by waiters_' lock
  waiter_queue waiters_;
};

}  // namespace nats_asio::detail
