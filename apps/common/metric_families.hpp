// Prometheus metric families made from values a program already counts
// (atomics, histograms of its own), at scrape time, and their text
// exposition: prometheus-cpp's types and serializer, without its
// registry's bookkeeping for values that exist anyway.
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace apps::metrics {

using labels = std::vector<std::pair<std::string, std::string>>;

// One family of one type; add() one metric per label set.
class family {
 public:
  static family counter(std::string name, std::string help);
  static family gauge(std::string name, std::string help);
  static family histogram(std::string name, std::string help);

  family& add(double value, const labels& l = {});
  // `cumulative[i]`: observations of at most upper_bounds[i]; `count` all.
  family& add_histogram(std::span<const double> upper_bounds,
                        std::span<const std::uint64_t> cumulative, std::uint64_t count, double sum,
                        const labels& l = {});

  prometheus::MetricFamily take() { return std::move(f_); }

 private:
  prometheus::MetricFamily f_;
};

// The text format (version 0.0.4), and its content type.
std::string serialize(const std::vector<prometheus::MetricFamily>& families);
inline constexpr const char* content_type = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace apps::metrics
