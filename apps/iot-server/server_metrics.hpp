// iot-server's Prometheus metrics: HTTP requests counted as they are
// answered (prometheus-cpp's registry), everything else read at scrape time
// from the counters the roles keep anyway.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <string>

#include "../common/nats_health.hpp"
#include "command_tracker.hpp"
#include "http/server.hpp"
#include "ingest.hpp"
#include "sensor_registry.hpp"

namespace server {

class server_metrics {
 public:
  server_metrics();

  // What a scrape reads; null: that part is not running here.
  struct sources {
    const ingest_counters* ingest = nullptr;
    const sensor_registry* sensors = nullptr;
    const apps::nats_health* nats = nullptr;
    // Null until NATS is reached.
    std::function<const command_counters*()> commands;
    std::function<std::size_t()> open_event_streams;
  };

  void http_request(const http::request_record& r);
  // The text exposition of everything.
  std::string scrape(const sources& s) const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
};

}  // namespace server
