// A bounded, thread-safe queue whose consumer awaits: producers are nats.c
// threads (never blocked), the consumer is an Asio operation.
//
// Items refused by a full queue (push()) leave a gap at the place they would
// have taken: the receive that reaches the gap completes once with
// errc::queue_overflow instead of an item, consuming nothing, and
// last_gap() tells how many items the gap stands for. The next receive goes
// on with the item after the gap.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>
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
  // the item (the caller decides what else a drop means), counts it and
  // leaves a gap that the receiver is told of.
  push_result push(T item) {
    std::unique_lock lock(mutex_);
    if (closed_) return push_result::closed;
    if (size_locked() >= capacity_) {
      ++dropped_;
      ++gap_at_end_;
      return push_result::full;
    }
    if (gap_at_end_ == 0) {  // a waiter exists only while nothing is queued
      if (auto waiter = claim_waiter()) {
        lock.unlock();
        waiter->finish({}, std::move(item));
        return push_result::ok;
      }
    }
    items().push_back(entry{std::move(item), std::exchange(gap_at_end_, 0)});
    return push_result::ok;
  }

  // Like push(), but a full queue drops its oldest item instead, silently:
  // for streams where the newest items matter and the receiver need not
  // know what it missed (connection events). Do not mix with push().
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
    items().push_back(entry{std::move(item), 0});
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

  // Completes `c` with the next item, with errc::queue_overflow at a gap
  // (see last_gap()), or with the close reason once the queue is empty.
  void receive(completion_ptr<T> c) {
    std::unique_lock lock(mutex_);
    if (size_locked() > 0) {
      auto& front = items_->front();
      if (front.gap_before > 0) {
        report_gap(std::move(lock), c, std::exchange(front.gap_before, 0));
        return;
      }
      if (!c->claim()) return;  // cancelled already: consumes nothing
      T item = std::move(front.item);
      items_->pop_front();
      lock.unlock();
      c->finish({}, std::move(item));
      return;
    }
    if (gap_at_end_ > 0) {
      report_gap(std::move(lock), c, std::exchange(gap_at_end_, 0));
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
  // Items refused or evicted since the queue was made.
  std::uint64_t dropped() const {
    std::lock_guard lock(mutex_);
    return dropped_;
  }
  // How many items the gap reported by the latest errc::queue_overflow
  // stood for (0 before any).
  std::uint64_t last_gap() const {
    std::lock_guard lock(mutex_);
    return last_gap_;
  }
  bool closed() const {
    std::lock_guard lock(mutex_);
    return static_cast<bool>(closed_);
  }

 private:
  struct entry {
    T item;
    std::uint64_t gap_before;  // items dropped just before this one
  };

  // Completes `c` with the gap in place of an item; the gap is consumed only
  // if `c` is still waiting (a cancelled receive consumes nothing).
  void report_gap(std::unique_lock<std::mutex> lock, const completion_ptr<T>& c,
                  std::uint64_t gap) {
    if (!c->claim()) {
      restore_gap(gap);
      return;
    }
    last_gap_ = gap;
    lock.unlock();
    c->finish(make_error_code(errc::queue_overflow), T{});
  }
  void restore_gap(std::uint64_t gap) {
    if (size_locked() > 0)
      items_->front().gap_before += gap;
    else
      gap_at_end_ += gap;
  }

  completion_ptr<T> claim_waiter() {
    while (!waiters_.empty()) {
      auto w = std::move(waiters_.front());
      waiters_.erase(waiters_.begin());
      if (w->claim()) return w;
    }
    return nullptr;
  }

  std::size_t size_locked() const { return items_ ? items_->size() : 0; }
  std::deque<entry>& items() {
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
  std::optional<std::deque<entry>> items_;
  // Normally zero or one receiver.
  std::vector<completion_ptr<T>> waiters_;
  error_code closed_;
  std::size_t capacity_;
  std::uint64_t dropped_ = 0;
  std::uint64_t gap_at_end_ = 0;  // items dropped after the last queued one
  std::uint64_t last_gap_ = 0;
};

}  // namespace nats_asio::detail
