// Order statistics of a set of samples (latencies in microseconds, rates).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <vector>

namespace bench {

// The p-th percentile (0..100) by the nearest-rank method: a value that was
// actually observed, so p99 of 200 samples is the second largest. 0 when
// there are no samples.
inline double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(p / 100.0 * static_cast<double>(values.size()));
  const auto index = static_cast<std::size_t>(std::max(rank, 1.0)) - 1;
  return values[std::min(index, values.size() - 1)];
}

inline double median(std::vector<double> values) { return percentile(std::move(values), 50); }

inline double maximum(const std::vector<double>& values) {
  return values.empty() ? 0 : *std::max_element(values.begin(), values.end());
}

inline double mean(const std::vector<double>& values) {
  if (values.empty()) return 0;
  return std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
}

// a / b, or 0 when b is 0 (a ratio nobody can compute is reported as 0).
inline double ratio(double a, double b) { return b == 0 ? 0 : a / b; }

}  // namespace bench
