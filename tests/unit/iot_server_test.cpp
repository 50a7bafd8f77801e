// iot-server's pure pieces: which messages become rows, and its settings.
#include <doctest/doctest.h>

#include "http/listen_address.hpp"
#include "iot-server/duration_histogram.hpp"
#include "iot-server/measurement_row.hpp"
#include "iot-server/server_settings.hpp"
#include "iot/measurement.hpp"

using namespace std::chrono;
using namespace std::chrono_literals;

namespace {

iot::measurement sample() {
  iot::measurement m;
  m.lecture_id = 1700000000000001;
  m.sensor_id = "s-1";
  m.lecture = "21.5";
  m.seq = 3;
  m.timestamp = sys_days{year{2026} / November / 30} + 12h;
  m.value = 21.5;
  m.unit = "celsius";
  m.revision = 2;
  return m;
}

std::string rejected_reason(std::string_view subject, std::string_view payload) {
  auto out = server::to_row(iot::wire_names{}, subject, payload, 42);
  auto* r = std::get_if<historian::rejected_message>(&out);
  REQUIRE(r);
  CHECK(r->stream_seq == 42);
  CHECK(r->subject == subject);
  CHECK(r->payload == payload);
  CHECK(r->reason.find('\n') == std::string::npos);
  return r->reason;
}

iot::settings env(std::map<std::string, std::string> values) {
  return iot::settings({}, [values](const std::string& name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  });
}

}  // namespace

TEST_CASE("a complete measurement on its own sensor's subject becomes a row with every field") {
  const auto m = sample();
  auto out = server::to_row(iot::wire_names{}, "sensor.measurements.s-1", iot::encode(m), 42);
  auto* r = std::get_if<historian::stored_measurement>(&out);
  REQUIRE(r);
  CHECK(r->sensor_id == "s-1");
  CHECK(r->lecture_id == m.lecture_id);
  CHECK(r->revision == 2);
  CHECK(r->seq == 3);
  CHECK(r->ts == m.timestamp);
  CHECK(r->value == 21.5);
  CHECK(r->lecture == "21.5");
  CHECK(r->unit == "celsius");
  CHECK(r->stream_seq == 42);
}

TEST_CASE("what is not a valid measurement is rejected with the reason") {
  CHECK(rejected_reason("sensor.measurements.s-1", "{not json").find("JSON") != std::string::npos);
  auto other_schema = iot::encode(sample());
  other_schema.replace(other_schema.find("\"schema\":1"), 10, "\"schema\":2");
  CHECK(rejected_reason("sensor.measurements.s-1", other_schema).find("schema") !=
        std::string::npos);
  // The original format lacks the fields a history needs.
  CHECK(rejected_reason("sensor.measurements.s-1",
                        R"({"lecture_id":1,"sensor_id":"s-1","lecture":"2"})")
            .find("missing") != std::string::npos);
  CHECK(rejected_reason("sensor.measurements.s-2", iot::encode(sample())) ==
        "sensor_id \"s-1\" does not match the subject");
}

TEST_CASE("iot-server settings: defaults, then .env/environment, then flags") {
  std::string error;
  server::server_flags none;
  auto d = server::resolve_server_settings(none, env({}), error);
  REQUIRE(d);
  CHECK(d->db.type == storage::database_url::kind::sqlite);
  CHECK(d->db.target == ".data/iot.db");
  CHECK(d->role == server::role::all);
  CHECK(d->ingests());
  CHECK(d->serves());
  CHECK_FALSE(d->retention);
  CHECK(d->batch == 5000);
  CHECK(d->linger == 20ms);
  CHECK(http::to_string(d->http_listen) == "127.0.0.1:8080");
  CHECK(d->api_token.empty());
  CHECK(d->tls_cert.empty());

  auto e =
      server::resolve_server_settings(none,
                                      env({{"IOT_DB", "postgresql://u:secret@127.0.0.1:5433/iot"},
                                           {"IOT_ROLE", "ingest"},
                                           {"IOT_RETENTION", "30d"},
                                           {"IOT_INGEST_BATCH", "100"}}),
                                      error);
  REQUIRE(e);
  CHECK(e->db.type == storage::database_url::kind::postgresql);
  CHECK(e->db.masked == "postgresql://u:***@127.0.0.1:5433/iot");
  CHECK_FALSE(e->serves());
  CHECK(e->retention == duration_cast<milliseconds>(days(30)));
  CHECK(e->batch == 100);

  server::server_flags flags;
  flags.db = "sqlite:/tmp/x.db";
  flags.role = "http";
  auto f = server::resolve_server_settings(flags, env({{"IOT_DB", "postgresql://h/db"}}), error);
  REQUIRE(f);
  CHECK(f->db.target == "/tmp/x.db");
  CHECK_FALSE(f->ingests());

  // Beyond loopback only with a token.
  auto open = server::resolve_server_settings(
      none, env({{"IOT_HTTP_LISTEN", "0.0.0.0:9000"}, {"IOT_API_TOKEN", "t0ken"}}), error);
  REQUIRE(open);
  CHECK(open->http_listen.port() == 9000);
  CHECK(open->api_token == "t0ken");
}

TEST_CASE("a wrong iot-server setting is named, by flag or by variable, and no secret shows") {
  std::string error;
  server::server_flags none;
  CHECK_FALSE(server::resolve_server_settings(none, env({{"IOT_ROLE", "both"}}), error));
  CHECK(error == "IOT_ROLE must be ingest, http or all (got \"both\")");
  server::server_flags flags;
  flags.db = "mysql://root:hunter2@db/iot";
  CHECK_FALSE(server::resolve_server_settings(flags, env({}), error));
  CHECK(error.starts_with("--db: "));
  CHECK(error.find("hunter2") == std::string::npos);
  CHECK_FALSE(server::resolve_server_settings(none, env({{"IOT_RETENTION", "soon"}}), error));
  CHECK(error.starts_with("IOT_RETENTION: "));
  CHECK_FALSE(server::resolve_server_settings(none, env({{"IOT_INGEST_BATCH", "0"}}), error));
  CHECK(error.starts_with("IOT_INGEST_BATCH must be"));
  flags = {};
  flags.batch = "12x";
  CHECK_FALSE(server::resolve_server_settings(flags, env({}), error));
  CHECK(error.starts_with("--batch must be"));

  CHECK_FALSE(server::resolve_server_settings(none, env({{"IOT_HTTP_LISTEN", "8080"}}), error));
  CHECK(error.starts_with("IOT_HTTP_LISTEN: \"8080\": expected HOST:PORT"));
  flags = {};
  flags.http_listen = "0.0.0.0:8080";
  CHECK_FALSE(server::resolve_server_settings(flags, env({}), error));
  CHECK(error ==
        "--http-listen 0.0.0.0:8080 is reachable from other machines: set a token "
        "(--api-token or IOT_API_TOKEN) first");
  flags = {};
  flags.tls_cert = "cert.pem";
  CHECK_FALSE(server::resolve_server_settings(flags, env({}), error));
  CHECK(error.starts_with("HTTPS needs both"));
}

TEST_CASE("the duration histogram counts each duration under the first bound it does not exceed") {
  server::duration_histogram h;
  h.record(0ms);
  h.record(1ms);
  h.record(2ms);
  h.record(999ms);
  h.record(1000ms);
  h.record(1001ms);
  h.record(10min);
  CHECK(h.at_most(0) == 2);  // <= 1 ms
  CHECK(h.at_most(1) == 3);  // <= 2 ms
  const auto second = std::size_t{9};
  REQUIRE(server::duration_histogram::bounds_ms[second] == 1000);
  CHECK(h.at_most(second) == 5);
  CHECK(h.at_most(second + 1) == 6);
  CHECK(h.at_most(server::duration_histogram::bounds_ms.size() - 1) == 6);  // <= 60 s
  CHECK(h.count() == 7);
}
