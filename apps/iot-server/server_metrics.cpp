#include "server_metrics.hpp"

#include <array>

#include "../common/metric_families.hpp"

namespace server {

namespace {

using apps::metrics::family;

const prometheus::Histogram::BucketBoundaries request_seconds{
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

// A millisecond histogram of ours as a Prometheus one, in seconds.
void add_histogram(family& f, const duration_histogram& h) {
  std::array<double, duration_histogram::bounds_ms.size()> bounds{};
  std::array<std::uint64_t, duration_histogram::bounds_ms.size()> cumulative{};
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    bounds[i] = static_cast<double>(duration_histogram::bounds_ms[i]) / 1000.0;
    cumulative[i] = h.at_most(i);
  }
  f.add_histogram(bounds, cumulative, h.count(), static_cast<double>(h.sum_ms()) / 1000.0);
}

}  // namespace

server_metrics::server_metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_(prometheus::BuildCounter()
                    .Name("iot_http_requests_total")
                    .Help("HTTP requests answered, by route, method and status")
                    .Register(*registry_)),
      latency_(prometheus::BuildHistogram()
                   .Name("iot_http_request_duration_seconds")
                   .Help("From a request read to its response written, by route")
                   .Register(*registry_)) {}

void server_metrics::http_request(const http::request_record& r) {
  const std::string route = r.route.empty() ? "unmatched" : std::string(r.route);
  requests_
      .Add({{"route", route},
            {"method", std::string(boost::beast::http::to_string(r.method))},
            {"status", std::to_string(r.status)}})
      .Increment();
  latency_.Add({{"route", route}}, request_seconds)
      .Observe(std::chrono::duration<double>(r.elapsed).count());
}

std::string server_metrics::scrape(const sources& s) const {
  auto families = registry_->Collect();
  if (s.open_event_streams)
    families.push_back(family::gauge("iot_http_event_streams", "Event streams open now")
                           .add(static_cast<double>(s.open_event_streams()))
                           .take());
  if (const auto* i = s.ingest) {
    families.push_back(
        family::counter("iot_ingest_rows_total", "Measurements taken from the stream, by outcome")
            .add(static_cast<double>(i->stored), {{"outcome", "stored"}})
            .add(static_cast<double>(i->duplicates), {{"outcome", "duplicate"}})
            .add(static_cast<double>(i->rejected), {{"outcome", "rejected"}})
            .take());
    families.push_back(
        family::counter("iot_ingest_batches_total", "Transactions committed by ingest")
            .add(static_cast<double>(i->batches))
            .take());
    families.push_back(family::counter("iot_ingest_write_retries_total",
                                       "Database writes that failed and were tried again")
                           .add(static_cast<double>(i->write_retries))
                           .take());
    families.push_back(
        family::gauge("iot_nats_pending_messages",
                      "Messages NATS delivered that wait in a receive queue, by subscription")
            .add(static_cast<double>(i->queued), {{"subscription", "ingest"}})
            .take());
    families.push_back(family::counter("iot_nats_dropped_messages_total",
                                       "Messages dropped by a full receive queue (redelivered "
                                       "by JetStream), by subscription")
                           .add(static_cast<double>(i->dropped), {{"subscription", "ingest"}})
                           .take());
    auto lag = family::histogram("iot_ingest_lag_seconds",
                                 "From a measurement's timestamp to its row committed");
    add_histogram(lag, i->lag);
    families.push_back(lag.take());
    auto write = family::histogram("iot_db_write_duration_seconds",
                                   "Time to commit one batch of measurements");
    add_histogram(write, i->write_time);
    families.push_back(write.take());
  }
  if (const auto* n = s.nats) {
    families.push_back(family::gauge("iot_nats_connected", "1 while connected to NATS")
                           .add(n->connected ? 1 : 0)
                           .take());
    families.push_back(family::counter("iot_nats_reconnects_total", "Reconnections to NATS")
                           .add(static_cast<double>(n->reconnects))
                           .take());
  }
  if (const auto* commands = s.commands ? s.commands() : nullptr) {
    const auto& c = *commands;
    families.push_back(
        family::counter("iot_commands_total",
                        "Commands: sent through the API; applied and rejected (results seen "
                        "from any sender); unanswered in time; not sent")
            .add(static_cast<double>(c.sent), {{"outcome", "sent"}})
            .add(static_cast<double>(c.applied), {{"outcome", "applied"}})
            .add(static_cast<double>(c.rejected), {{"outcome", "rejected"}})
            .add(static_cast<double>(c.unanswered), {{"outcome", "queued"}})
            .add(static_cast<double>(c.failed), {{"outcome", "failed"}})
            .take());
  }
  if (const auto* r = s.sensors) {
    const auto now = iot::clock::now();
    auto sensors = family::gauge("iot_sensors", "Sensors in the config bucket, by status");
    for (auto st : {sensor_status::online, sensor_status::offline, sensor_status::unknown})
      sensors.add(static_cast<double>(r->count(st, now)), {{"status", std::string(to_string(st))}});
    families.push_back(sensors.take());
  }
  return apps::metrics::serialize(families);
}

}  // namespace server
