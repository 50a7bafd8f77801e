// The sensor's last N measurements, by lecture_id, so a correction can find
// the one it edits. Oldest entries are evicted first.
//
// Kept compact because a fleet holds one history per sensor: an entry leaves
// out what every measurement of the sensor shares (its id and unit), the
// entries sit in one ring of at most `capacity` that grows as needed, and
// they stay in lecture_id order (the probe hands out rising ids), so a lookup
// is a binary search instead of a map node per entry.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "iot/measurement.hpp"

namespace iot {

class measurement_history {
 public:
  measurement_history(std::size_t capacity, std::string sensor_id, std::string unit)
      : capacity_(capacity ? capacity : 1),
        sensor_id_(std::move(sensor_id)),
        unit_(std::move(unit)) {}

  // `m` belongs to this sensor; a lecture_id already kept is replaced (a
  // correction), a new one lower than the newest kept is ignored.
  void remember(const measurement& m) {
    if (auto* e = find_entry(m.lecture_id)) {
      *e = entry_of(m);
      return;
    }
    if (!ring_.empty() && m.lecture_id < at(size() - 1).lecture_id) return;
    if (ring_.size() < capacity_) {  // not full yet: the oldest is at 0
      if (ring_.size() == ring_.capacity())
        ring_.reserve(std::min(capacity_, std::max<std::size_t>(8, ring_.size() * 2)));
      ring_.push_back(entry_of(m));
    } else {
      ring_[oldest_] = entry_of(m);
      oldest_ = (oldest_ + 1) % ring_.size();
    }
  }

  std::optional<measurement> find(std::uint64_t lecture_id) const {
    auto* e = const_cast<measurement_history*>(this)->find_entry(lecture_id);
    if (!e) return std::nullopt;
    return measurement_of(*e);
  }

  // Oldest first.
  template <typename Fn>
  void for_each(Fn&& fn) const {
    for (std::size_t i = 0; i < size(); ++i) fn(measurement_of(at(i)));
  }

  std::size_t size() const { return ring_.size(); }

 private:
  struct entry {
    std::uint64_t lecture_id;
    std::uint64_t seq;
    clock::time_point timestamp;
    double value;
    std::uint32_t revision;
    std::string lecture;
  };

  static entry entry_of(const measurement& m) {
    return {m.lecture_id, m.seq, m.timestamp, m.value, m.revision, m.lecture};
  }
  measurement measurement_of(const entry& e) const {
    measurement m;
    m.lecture_id = e.lecture_id;
    m.sensor_id = sensor_id_;
    m.lecture = e.lecture;
    m.seq = e.seq;
    m.timestamp = e.timestamp;
    m.value = e.value;
    m.unit = unit_;
    m.revision = e.revision;
    return m;
  }
  // The i-th oldest entry.
  entry& at(std::size_t i) { return ring_[(oldest_ + i) % ring_.size()]; }
  const entry& at(std::size_t i) const { return ring_[(oldest_ + i) % ring_.size()]; }

  entry* find_entry(std::uint64_t lecture_id) {
    std::size_t lo = 0, hi = size();  // binary search over the ring's order
    while (lo < hi) {
      const auto mid = lo + (hi - lo) / 2;
      if (at(mid).lecture_id < lecture_id)
        lo = mid + 1;
      else
        hi = mid;
    }
    return lo < size() && at(lo).lecture_id == lecture_id ? &at(lo) : nullptr;
  }

  std::size_t capacity_;
  std::string sensor_id_;
  std::string unit_;
  std::vector<entry> ring_;
  std::size_t oldest_ = 0;
};

}  // namespace iot
