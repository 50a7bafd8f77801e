// A simulated temperature probe: a bounded random walk, and lecture ids that
// stay unique across restarts (microseconds since the epoch, strictly rising).
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace sensor {

class simulated_probe {
 public:
  simulated_probe() : rng_(std::random_device{}()) {}
  explicit simulated_probe(std::uint32_t seed) : rng_(seed) {}

  double read() {
    std::normal_distribution<double> step(0.0, 0.2);
    value_ += step(rng_);
    if (value_ < -20) value_ = -20;
    if (value_ > 60) value_ = 60;
    return value_;
  }

  std::uint64_t next_lecture_id() {
    const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    last_id_ = std::max<std::uint64_t>(last_id_ + 1, static_cast<std::uint64_t>(now));
    return last_id_;
  }

  static constexpr const char* unit = "celsius";

 private:
  // A few bytes of state rather than mt19937's 2.5 KB: a fleet has one probe
  // per sensor, and a random walk needs no better generator.
  std::minstd_rand rng_;
  double value_ = 21.0;
  std::uint64_t last_id_ = 0;
};

}  // namespace sensor
