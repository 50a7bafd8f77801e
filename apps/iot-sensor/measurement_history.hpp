// The sensor's last N measurements, by lecture_id, so a correction can find
// the one it edits. Oldest entries are evicted first.
#pragma once

#include <cstddef>
#include <deque>
#include <unordered_map>

#include "iot/measurement.hpp"

namespace sensor {

class measurement_history {
 public:
  explicit measurement_history(std::size_t capacity) : capacity_(capacity ? capacity : 1) {}

  void remember(const iot::measurement& m) {
    if (auto it = by_id_.find(m.lecture_id); it != by_id_.end()) {
      it->second = m;  // a correction replaces the stored revision
      return;
    }
    if (order_.size() == capacity_) {
      by_id_.erase(order_.front());
      order_.pop_front();
    }
    order_.push_back(m.lecture_id);
    by_id_.emplace(m.lecture_id, m);
  }

  const iot::measurement* find(std::uint64_t lecture_id) const {
    auto it = by_id_.find(lecture_id);
    return it == by_id_.end() ? nullptr : &it->second;
  }

  // Oldest first.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (auto id : order_) fn(by_id_.at(id));
  }

  std::size_t size() const { return order_.size(); }

 private:
  std::size_t capacity_;
  std::deque<std::uint64_t> order_;
  std::unordered_map<std::uint64_t, iot::measurement> by_id_;
};

}  // namespace sensor
