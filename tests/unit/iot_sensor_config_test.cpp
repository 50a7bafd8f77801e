#include <doctest/doctest.h>

#include <string>

#include "iot/sensor_config.hpp"

using namespace std::chrono;

namespace {

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

iot::sensor_config sample() {
  iot::sensor_config c;
  c.sensor_id = "sensor-1";
  c.interval = 2500ms;
  c.updated_at = sys_days{year{2024} / May / 1} + 12h + 5ms;
  c.last_command_id = "0b0e4c9e-4bb4-4c5c-9a59-3d1d1f7fbd11";
  return c;
}

std::string reject(std::string_view json) {
  iot::sensor_config out = sample();
  auto e = iot::decode_sensor_config(json, out);
  CHECK(out == sample());
  CHECK(!e.empty());
  CHECK(e.find('\n') == std::string::npos);
  return e;
}

std::string with(const std::string& field, const std::string& value) {
  return R"({"sensor_id":"s","interval_ms":1000,")" + field + "\":" + value + "}";
}

}  // namespace

TEST_CASE("encode writes every field") {
  CHECK(iot::encode(sample()) == R"({"schema":1,"sensor_id":"sensor-1","interval_ms":2500,)"
                                 R"("updated_at":"2024-05-01T12:00:00.005Z",)"
                                 R"("last_command_id":"0b0e4c9e-4bb4-4c5c-9a59-3d1d1f7fbd11"})");
  iot::sensor_config fresh;
  fresh.sensor_id = "s";
  CHECK(
      iot::encode(fresh) ==
      R"({"schema":1,"sensor_id":"s","interval_ms":10000,"updated_at":"1970-01-01T00:00:00.000Z","last_command_id":""})");
}

TEST_CASE("round trip") {
  iot::sensor_config back;
  REQUIRE(iot::decode_sensor_config(iot::encode(sample()), back) == "");
  CHECK(back == sample());
}

TEST_CASE("sensor_id and interval_ms are required; the rest is optional") {
  iot::sensor_config c;
  c.last_command_id = "x";
  REQUIRE(iot::decode_sensor_config(R"({"sensor_id":"s","interval_ms":1000})", c) == "");
  CHECK(c.sensor_id == "s");
  CHECK(c.interval == 1s);
  CHECK(c.schema == 1);
  CHECK(c.updated_at == iot::clock::time_point{});
  CHECK(c.last_command_id == "");
  CHECK(reject(R"({"interval_ms":1000})") == R"(field "sensor_id": missing)");
  CHECK(reject(R"({"sensor_id":"s"})") == R"(field "interval_ms": missing)");
}

TEST_CASE("unknown fields are ignored") {
  iot::sensor_config c;
  CHECK(iot::decode_sensor_config(with("owner", R"({"team":"a"})"), c) == "");
}

TEST_CASE("each field must have its JSON type") {
  CHECK(reject(R"({"sensor_id":1,"interval_ms":1000})") ==
        R"(field "sensor_id": must be a string, not a number)");
  CHECK(reject(R"({"sensor_id":"s","interval_ms":"1000"})") ==
        R"(field "interval_ms": must be an unsigned integer, not a string)");
  CHECK(contains(reject(R"({"sensor_id":"s","interval_ms":-1000})"),
                 R"(field "interval_ms": must be an unsigned integer, not negative)"));
  CHECK(contains(
      reject(R"({"sensor_id":"s","interval_ms":1000.5})"),
      R"(field "interval_ms": must be an unsigned integer, not a number with a fraction)"));
  CHECK(reject(with("updated_at", "0")) == R"(field "updated_at": must be a string, not a number)");
  CHECK(reject(with("last_command_id", "[]")) ==
        R"(field "last_command_id": must be a string, not an array)");
  CHECK(reject(with("schema", "\"1\"")) == R"(field "schema": must be an integer, not a string)");
}

TEST_CASE("values are checked") {
  CHECK(reject(with("schema", "2")) == R"(field "schema": unsupported schema 2 (expected 1))");
  CHECK(reject(R"({"sensor_id":"s","interval_ms":0})") ==
        R"(field "interval_ms": 0 ms is outside 1 ms - 24 h)");
  CHECK(reject(R"({"sensor_id":"s","interval_ms":86400001})") ==
        R"(field "interval_ms": 86400001 ms is outside 1 ms - 24 h)");
  CHECK(contains(reject(R"({"sensor_id":"a.b.c","interval_ms":1000})"),
                 R"(field "sensor_id": sensor id "a.b.c" is invalid)"));
  CHECK(contains(reject(with("updated_at", R"("2024-02-30T00:00:00Z")")),
                 R"(field "updated_at": "2024-02-30T00:00:00Z" is not an RFC 3339 time stamp)"));
  CHECK(reject(with("last_command_id", "\"\xc3\x28\"")) ==
        R"(field "last_command_id": not valid UTF-8)");
  CHECK(reject(with("owner", "{\"team\":[\"\xff\"]}")) == R"(field "owner": not valid UTF-8)");
}

TEST_CASE("not an object, too large, too deep") {
  CHECK(reject("[]") == "not a JSON object (got an array)");
  CHECK(contains(reject("{"), "not valid JSON"));
  CHECK(contains(reject(with("pad", '"' + std::string(70000, 'p') + '"')), "65536-byte limit"));
  CHECK(reject(with("deep", std::string(40, '[') + std::string(40, ']'))) ==
        "JSON nesting is deeper than 32 levels");
}
