#include "metric_families.hpp"

#include <prometheus/text_serializer.h>

#include <limits>

namespace apps::metrics {

namespace {

prometheus::ClientMetric with_labels(const labels& l) {
  prometheus::ClientMetric m;
  for (const auto& [name, value] : l) m.label.push_back({name, value});
  return m;
}

}  // namespace

family family::counter(std::string name, std::string help) {
  family f;
  f.f_ = {std::move(name), std::move(help), prometheus::MetricType::Counter, {}};
  return f;
}

family family::gauge(std::string name, std::string help) {
  family f;
  f.f_ = {std::move(name), std::move(help), prometheus::MetricType::Gauge, {}};
  return f;
}

family family::histogram(std::string name, std::string help) {
  family f;
  f.f_ = {std::move(name), std::move(help), prometheus::MetricType::Histogram, {}};
  return f;
}

family& family::add(double value, const labels& l) {
  auto m = with_labels(l);
  if (f_.type == prometheus::MetricType::Counter)
    m.counter.value = value;
  else
    m.gauge.value = value;
  f_.metric.push_back(std::move(m));
  return *this;
}

family& family::add_histogram(std::span<const double> upper_bounds,
                              std::span<const std::uint64_t> cumulative, std::uint64_t count,
                              double sum, const labels& l) {
  auto m = with_labels(l);
  m.histogram.sample_count = count;
  m.histogram.sample_sum = sum;
  for (std::size_t i = 0; i < upper_bounds.size() && i < cumulative.size(); ++i)
    m.histogram.bucket.push_back({cumulative[i], upper_bounds[i]});
  // The +Inf bucket holds every observation.
  m.histogram.bucket.push_back({count, std::numeric_limits<double>::infinity()});
  f_.metric.push_back(std::move(m));
  return *this;
}

std::string serialize(const std::vector<prometheus::MetricFamily>& families) {
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace apps::metrics
