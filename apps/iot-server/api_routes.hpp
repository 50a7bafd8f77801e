// iot-server's HTTP routes: health and metrics outside /api, the REST API
// under /api/v1 (see openapi.json), the dashboard at /. Each group reads the parts it needs.
#pragma once

#include <chrono>

#include "../common/nats_health.hpp"
#include "command_tracker.hpp"
#include "event_hub.hpp"
#include "historian/measurement_store.hpp"
#include "http/server.hpp"
#include "ingest.hpp"
#include "sensor_feed.hpp"
#include "sensor_registry.hpp"
#include "server_metrics.hpp"

namespace server {

struct health_sources {
  const apps::nats_health& nats;
  const ingest_counters* ingest = nullptr;  // null: not ingesting here
  const sensor_feed* feed = nullptr;        // null: not serving the API here
  const event_hub* hub = nullptr;           // null: not serving the API here (yet)
  // Ready only while ingest's lag is under this.
  std::chrono::milliseconds max_lag{std::chrono::seconds(60)};
  server_metrics& metrics;
  server_metrics::sources scrape;
};

// GET /healthz (alive), /readyz (NATS connected, database writable, ingest
// lag under the bound, configs loaded, events following the stream),
// /metrics (Prometheus text).
void add_health_routes(http::server& s, const health_sources& sources);

// GET / and the dashboard's files (web/, built in), with a
// Content-Security-Policy that allows nothing from elsewhere.
void add_dashboard_routes(http::server& s);

// GET /api/v1/openapi.json: the API's OpenAPI document (openapi.json, built in).
void add_openapi_route(http::server& s);

// GET /api/v1/sensors, /api/v1/sensors/{id}, /api/v1/sensors/{id}/config.
void add_sensor_routes(http::server& s, const sensor_registry& sensors);

// What the command routes use. The pointers are null until NATS is reached;
// meanwhile the routes answer 503.
struct command_sources {
  const sensor_registry& sensors;
  const apps::nats_health& nats;
  const sensor_feed* feed = nullptr;
  command_tracker* commands = nullptr;
};

// PUT /api/v1/sensors/{id}/config, PUT /api/v1/sensors/{id}/measurements/{lecture_id}
// (commands, waiting up to ?timeout= for the result), GET /api/v1/commands/{uuid}.
void add_command_routes(http::server& s, const command_sources& sources);

}  // namespace server

namespace server {

// GET /api/v1/sensors/{id}/measurements?from=&to=&step=&limit=&cursor=&revisions=:
// rows, or buckets with a step; JSON, or CSV for Accept: text/csv.
void add_history_routes(http::server& s, std::shared_ptr<historian::measurement_store> store);

// What the dead-letter route uses; js is null until NATS is reached (503).
struct deadletter_sources {
  iot::wire_names names;
  const apps::nats_health& nats;
  nats_asio::jetstream* js = nullptr;
};

// GET /api/v1/deadletters?sensor=&limit=: the dead-letter stream, newest first.
void add_deadletter_routes(http::server& s, const deadletter_sources& sources);

// GET /api/v1/events?sensor=a&sensor=b: server-sent events from the hub,
// resumed after Last-Event-ID. `hub` is null until NATS is reached (503).
void add_event_routes(http::server& s, event_hub* const& hub);

}  // namespace server
