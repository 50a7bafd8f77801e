#include <doctest/doctest.h>

#include <string>

#include "iot/command_result.hpp"

using namespace std::chrono;

namespace {

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

iot::sensor_config config() {
  iot::sensor_config c;
  c.sensor_id = "sensor-1";
  c.interval = 5s;
  c.updated_at = sys_days{year{2024} / May / 1} + 12h;
  c.last_command_id = "u-1";
  return c;
}

iot::command_result applied() {
  iot::command_result r;
  r.command_uuid = "u-1";
  r.sensor_id = "sensor-1";
  r.applied = true;
  r.config = config();
  return r;
}

iot::command_result rejected() {
  iot::command_result r;
  r.command_uuid = "u-2";
  r.sensor_id = "sensor-1";
  r.error = R"(field "new_interval_milliseconds": 0 ms is outside 1 ms - 24 h)";
  return r;
}

std::string reject(std::string_view json) {
  iot::command_result out = rejected();
  auto e = iot::decode_command_result(json, out);
  CHECK(out == rejected());
  CHECK(!e.empty());
  CHECK(e.find('\n') == std::string::npos);
  return e;
}

}  // namespace

TEST_CASE("encode: error only when rejected, config only when present") {
  CHECK(iot::encode(applied()) ==
        R"({"command_uuid":"u-1","sensor_id":"sensor-1","status":"applied","config":)"
        R"({"schema":1,"sensor_id":"sensor-1","interval_ms":5000,)"
        R"("updated_at":"2024-05-01T12:00:00.000Z","last_command_id":"u-1"}})");
  CHECK(iot::encode(rejected()) ==
        R"({"command_uuid":"u-2","sensor_id":"sensor-1","status":"rejected",)"
        R"("error":"field \"new_interval_milliseconds\": 0 ms is outside 1 ms - 24 h"})");
  auto r = applied();
  r.config.reset();
  r.error = "ignored";
  CHECK(iot::encode(r) == R"({"command_uuid":"u-1","sensor_id":"sensor-1","status":"applied"})");
}

TEST_CASE("round trips") {
  iot::command_result back;
  REQUIRE(iot::decode_command_result(iot::encode(applied()), back) == "");
  CHECK(back == applied());
  REQUIRE(iot::decode_command_result(iot::encode(rejected()), back) == "");
  CHECK(back == rejected());
  auto r = rejected();
  r.command_uuid = "";  // a command too broken to have a uuid
  r.config = config();
  REQUIRE(iot::decode_command_result(iot::encode(r), back) == "");
  CHECK(back == r);
}

TEST_CASE("optional fields") {
  iot::command_result r;
  REQUIRE(iot::decode_command_result(R"({"sensor_id":"s","status":"rejected"})", r) == "");
  CHECK(r.command_uuid == "");
  CHECK(!r.applied);
  CHECK(r.error == "");
  CHECK(!r.config);
  REQUIRE(iot::decode_command_result(R"({"sensor_id":"s","status":"applied","error":"x","n":1})",
                                     r) == "");
  CHECK(r.applied);
  CHECK(r.error == "");  // meaningless beside "applied"
}

TEST_CASE("required fields and their types") {
  CHECK(reject(R"({"status":"applied"})") == R"(field "sensor_id": missing)");
  CHECK(reject(R"({"sensor_id":"s"})") == R"(field "status": missing)");
  CHECK(reject(R"({"sensor_id":"s","status":true})") ==
        R"(field "status": must be a string, not a boolean)");
  CHECK(reject(R"({"sensor_id":"s","status":"done"})") ==
        R"(field "status": must be "applied" or "rejected")");
  CHECK(reject(R"({"sensor_id":"s","status":"rejected","error":1})") ==
        R"(field "error": must be a string, not a number)");
  CHECK(reject(R"({"command_uuid":7,"sensor_id":"s","status":"applied"})") ==
        R"(field "command_uuid": must be a string, not a number)");
  CHECK(contains(reject(R"({"sensor_id":"bad id","status":"applied"})"),
                 R"(field "sensor_id": sensor id "bad id" is invalid)"));
}

TEST_CASE("the nested config is decoded strictly") {
  CHECK(reject(R"({"sensor_id":"s","status":"applied","config":"{}"})") ==
        R"(field "config": must be an object, not a string)");
  CHECK(reject(R"({"sensor_id":"s","status":"applied","config":{"sensor_id":"s"}})") ==
        R"(field "config": field "interval_ms": missing)");
  CHECK(reject(
            R"({"sensor_id":"s","status":"applied","config":{"sensor_id":"s","interval_ms":0}})") ==
        R"(field "config": field "interval_ms": 0 ms is outside 1 ms - 24 h)");
}

TEST_CASE("not an object") {
  CHECK(reject("[]") == "not a JSON object (got an array)");
  CHECK(contains(reject("nope"), "not valid JSON"));
}
