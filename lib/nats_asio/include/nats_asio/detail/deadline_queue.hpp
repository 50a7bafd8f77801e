// The deadlines of pending requests, earliest first, for one timer armed at
// the earliest. Requests with the same timeout expire in the order they were
// made, so each timeout keeps a FIFO and the earliest deadline is the
// smallest front: adding is amortised O(1), with no allocation per request,
// and a request's entry needs no removal when it finishes: fronts that are
// no longer pending are pruned as the queue is used. Not thread-safe: the
// owner guards it with its own lock.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>

namespace nats_asio::detail {

class deadline_queue {
 public:
  using clock = std::chrono::steady_clock;

  // `deadline` is `now + timeout` with `now` read under the owner's lock, so
  // that each FIFO stays sorted.
  template <typename IsPending>
  void add(std::chrono::milliseconds timeout, clock::time_point deadline, std::uint64_t token,
           IsPending is_pending) {
    auto& fifo = fifos_[timeout];
    prune(fifo, is_pending);  // requests usually finish in order: keeps the FIFO short
    fifo.push_back({deadline, token});
  }

  // Calls `expire(token)` for each pending request whose deadline is not
  // after `now`, and forgets it.
  template <typename IsPending, typename Expire>
  void pop_due(clock::time_point now, IsPending is_pending, Expire expire) {
    for (auto& [timeout, fifo] : fifos_) {
      while (!fifo.empty() && fifo.front().deadline <= now) {
        const auto token = fifo.front().token;
        fifo.pop_front();
        if (is_pending(token)) expire(token);
      }
    }
  }

  // The earliest deadline of a pending request; time_point::max() if none.
  template <typename IsPending>
  clock::time_point earliest(IsPending is_pending) {
    auto next = clock::time_point::max();
    for (auto it = fifos_.begin(); it != fifos_.end();) {
      prune(it->second, is_pending);
      if (it->second.empty()) {
        it = fifos_.erase(it);
        continue;
      }
      next = std::min(next, it->second.front().deadline);
      ++it;
    }
    return next;
  }

  void clear() { fifos_.clear(); }
  // Entries held, pending or not yet pruned (for tests).
  std::size_t size() const {
    std::size_t n = 0;
    for (const auto& [timeout, fifo] : fifos_) n += fifo.size();
    return n;
  }

 private:
  struct entry {
    clock::time_point deadline;
    std::uint64_t token;
  };

  template <typename IsPending>
  static void prune(std::deque<entry>& fifo, IsPending& is_pending) {
    while (!fifo.empty() && !is_pending(fifo.front().token)) fifo.pop_front();
  }

  std::map<std::chrono::milliseconds, std::deque<entry>> fifos_;
};

}  // namespace nats_asio::detail
