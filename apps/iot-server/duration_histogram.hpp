// Durations in milliseconds (how long measurements took from being taken to
// being committed; how long a database write took): cumulative counts per
// upper bound, as a Prometheus histogram keeps them, so that a reader can
// subtract two snapshots for a window.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace server {

class duration_histogram {
 public:
  // Upper bounds in milliseconds; the last bucket takes everything above.
  static constexpr std::array<std::int64_t, 14> bounds_ms{1,   2,   5,    10,   20,   50,    100,
                                                          200, 500, 1000, 2000, 5000, 10000, 60000};

  void record(std::chrono::milliseconds d) noexcept {
    std::size_t i = 0;
    while (i < bounds_ms.size() && d.count() > bounds_ms[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_ms_.fetch_add(d.count() > 0 ? static_cast<std::uint64_t>(d.count()) : 0,
                      std::memory_order_relaxed);
  }

  // Durations of at most bounds_ms[i] (i < bounds_ms.size()),
  // or in all (i == bounds_ms.size()).
  std::uint64_t at_most(std::size_t i) const noexcept {
    std::uint64_t sum = 0;
    for (std::size_t k = 0; k <= i && k < counts_.size(); ++k)
      sum += counts_[k].load(std::memory_order_relaxed);
    return sum;
  }
  std::uint64_t count() const noexcept { return at_most(bounds_ms.size()); }
  // The sum of what was recorded (negative durations as 0).
  std::uint64_t sum_ms() const noexcept { return sum_ms_.load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<std::uint64_t>, bounds_ms.size() + 1> counts_{};
  std::atomic<std::uint64_t> sum_ms_{0};
};

}  // namespace server
