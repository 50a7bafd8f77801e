// iot-server's sensor_registry: configs and measurements in, sensors with a
// status out, filtered and paged.
#include "iot-server/sensor_registry.hpp"

#include <doctest/doctest.h>

#include "iot-server/api_json.hpp"

using namespace std::chrono_literals;
using server::sensor_registry;
using server::sensor_status;

namespace {

std::string config(const std::string& id, std::chrono::milliseconds interval) {
  iot::sensor_config c;
  c.sensor_id = id;
  c.interval = interval;
  c.updated_at = iot::clock::now();
  return iot::encode(c);
}

iot::measurement reading(const std::string& id, std::uint64_t lecture, iot::clock::time_point at,
                         std::uint32_t revision = 1) {
  iot::measurement m;
  m.sensor_id = id;
  m.lecture_id = lecture;
  m.timestamp = at;
  m.revision = revision;
  m.value = static_cast<double>(lecture);
  return m;
}

std::vector<std::string> ids(const sensor_registry::page& p) {
  std::vector<std::string> out;
  for (const auto* v : p.sensors) out.push_back(v->id);
  return out;
}

}  // namespace

TEST_CASE("sensor status: online within three intervals, offline after, unknown without data") {
  const auto now = iot::clock::now();
  sensor_registry r;
  r.config_put("a.config", config("a", 1s));
  REQUIRE(r.find("a"));
  CHECK(server::status_of(*r.find("a"), now) == sensor_status::unknown);
  r.measured(reading("a", 1, now - 3s), 1);
  CHECK(server::status_of(*r.find("a"), now) == sensor_status::online);
  CHECK(server::status_of(*r.find("a"), now + 1ms) == sensor_status::offline);
  // A config that does not decode: listed, status unknown, the reason kept.
  r.config_put("b.config", "{\"interval_ms\":");
  REQUIRE(r.find("b"));
  CHECK_FALSE(r.find("b")->config);
  CHECK_FALSE(r.find("b")->config_error.empty());
  r.measured(reading("b", 1, now), 2);
  CHECK(server::status_of(*r.find("b"), now) == sensor_status::unknown);
  CHECK(server::sensor_json(*r.find("b"), now).at("config").is_null());
  CHECK(server::parse_sensor_status("offline") == sensor_status::offline);
  CHECK_FALSE(server::parse_sensor_status("asleep"));
}

TEST_CASE("sensor registry: only configured sensors; the latest lecture wins, corrections apply") {
  const auto now = iot::clock::now();
  sensor_registry r;
  r.measured(reading("x", 5, now), 1);  // no config yet: not listed
  CHECK_FALSE(r.find("x"));
  r.config_put("x.config", config("x", 1s));
  REQUIRE(r.find("x"));
  CHECK(r.find("x")->last->lecture_id == 5);  // kept from before its config came
  r.measured(reading("x", 4, now), 2);        // older: ignored
  CHECK(r.find("x")->last->lecture_id == 5);
  r.measured(reading("x", 5, now, 2), 3);  // a correction of the latest
  CHECK(r.find("x")->last->revision == 2);
  CHECK(r.find("x")->last_stream_sequence == 3);
  r.measured(reading("x", 5, now, 1), 1);  // the original again (a replay): ignored
  CHECK(r.find("x")->last->revision == 2);
  r.config_put("other-key", "{}");  // not "<id>.config": not a sensor
  CHECK(r.configured() == 1);
  r.config_erased("x.config");
  CHECK_FALSE(r.find("x"));
  CHECK(r.configured() == 0);
}

TEST_CASE("sensor registry: pages by id, with a prefix and a status") {
  const auto now = iot::clock::now();
  sensor_registry r;
  for (const auto* id : {"b-2", "a-1", "b-1", "c-1", "b-3"})
    r.config_put(std::string(id) + ".config", config(id, 1s));
  r.measured(reading("b-1", 1, now), 1);

  sensor_registry::filter f;
  f.limit = 2;
  auto p1 = r.list(f, now);
  CHECK(ids(p1) == std::vector<std::string>{"a-1", "b-1"});
  CHECK(p1.next == "b-1");
  f.after = p1.next;
  auto p2 = r.list(f, now);
  CHECK(ids(p2) == std::vector<std::string>{"b-2", "b-3"});
  f.after = p2.next;
  auto p3 = r.list(f, now);
  CHECK(ids(p3) == std::vector<std::string>{"c-1"});
  CHECK(p3.next.empty());

  sensor_registry::filter prefixed;
  prefixed.id_prefix = "b-";
  CHECK(ids(r.list(prefixed, now)) == std::vector<std::string>{"b-1", "b-2", "b-3"});
  prefixed.after = "a-9";  // a cursor before the prefix
  CHECK(ids(r.list(prefixed, now)) == std::vector<std::string>{"b-1", "b-2", "b-3"});

  sensor_registry::filter online;
  online.status = sensor_status::online;
  CHECK(ids(r.list(online, now)) == std::vector<std::string>{"b-1"});
  CHECK(r.count(sensor_status::unknown, now) == 4);
}
