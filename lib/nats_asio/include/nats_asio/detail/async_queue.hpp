// A bounded, thread-safe queue whose consumer awaits: producers are nats.c
// threads (never blocked), the consumer is an Asio operation.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include "nats_asio/detail/completion.hpp"

namespace nats_asio::detail {

template <typename T>
class async_queue {
 public:
  enum class push_result { ok, full, closed };

  explicit async_queue(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}
  // Pending receivers finish before the queue goes, so no hook outlives it.
  ~async_queue() { close(boost::asio::error::operation_aborted); }
  async_queue(const async_queue&) = delete;
  async_queue& operator=(const async_queue&) = delete;

  // Hands `item` to a waiting receiver, or queues it. A full queue refuses
  // the item (the caller decides what a drop means) and counts it.
  push_result push(T item) {
    std::unique_lock lock(mutex_);
    if (closed_) return push_result::closed;
    if (auto waiter = claim_waiter()) {
      lock.unlock();
      waiter->finish({}, std::move(item));
      return push_result::ok;
    }
    if (size_locked() >= capacity_) {
      ++dropped_;
      return push_result::full;
    }
    items().push_back(std::move(item));
    return push_result::ok;
  }

  // Like push(), but a full queue drops its oldest item instead.
  void push_evicting(T item) {
    std::unique_lock lock(mutex_);
    if (closed_) return;
    if (auto waiter = claim_waiter()) {
      lock.unlock();
      waiter->finish({}, std::move(item));
      return;
    }
    if (size_locked() >= capacity_) {
      items_->pop_front();
      ++dropped_;
    }
    items().push_back(std::move(item));
  }

  // Queued items are still delivered; after them every receive fails with `reason`.
  void close(error_code reason) {
    std::vector<completion_ptr<T>> waiters;
    {
      std::lock_guard lock(mutex_);
      if (closed_) return;
      closed_ = reason;
      waiters.swap(waiters_);
    }
    for (auto& w : waiters) w->complete(reason, T{});
  }

  void receive(completion_ptr<T> c) {
    std::unique_lock lock(mutex_);
    if (size_locked() > 0) {
      T item = std::move(items_->front());
      items_->pop_front();
      lock.unlock();
      c->complete({}, std::move(item));
      return;
    }
    if (closed_) {
      auto reason = closed_;
      lock.unlock();
      c->complete(reason, T{});
      return;
    }
    waiters_.push_back(c);
    lock.unlock();
    c->on_finish([this, weak = std::weak_ptr(c)] { forget(weak); });
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return size_locked();
  }
  std::uint64_t dropped() const {
    std::lock_guard lock(mutex_);
    return dropped_;
  }
  bool closed() const {
    std::lock_guard lock(mutex_);
    return static_cast<bool>(closed_);
  }

 private:
  completion_ptr<T> claim_waiter() {
    while (!waiters_.empty()) {
      auto w = std::move(waiters_.front());
      waiters_.erase(waiters_.begin());
      if (w->claim()) return w;
    }
    return nullptr;
  }

  std::size_t size_locked() const { return items_ ? items_->size() : 0; }
  std::deque<T>& items() {
    if (!items_) items_.emplace();
    return *items_;
  }

  void forget(const std::weak_ptr<completion<T>>& weak) {
    auto c = weak.lock();
    if (!c) return;
    std::lock_guard lock(mutex_);
    std::erase_if(waiters_, [&](const auto& w) { return w == c; });
  }

  mutable std::mutex mutex_;
  // Made on first use: an empty std::deque already holds ~600 bytes, and a
  // fleet has one queue per sensor that mostly stays empty.
  std::optional<std::deque<T>> items_;
  // Normally zero or one receiver.
  std::vector<completion_ptr<T>> waiters_;
  error_code closed_;
  std::size_t capacity_;
  std::uint64_t dropped_ = 0;
};

}  // namespace nats_asio::detail
