#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "iot/measurement.hpp"

using namespace std::chrono;

namespace {

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

iot::measurement sample() {
  iot::measurement m;
  m.lecture_id = 7;
  m.sensor_id = "sensor-1";
  m.lecture = "21.5";
  m.seq = 3;
  m.timestamp = sys_days{year{2024} / May / 1} + 12h + 123ms;
  m.value = 21.5;
  m.unit = "C";
  return m;
}

// decode_measurement's reason; `out` must stay untouched on failure.
std::string reject(std::string_view json) {
  iot::measurement out = sample();
  auto e = iot::decode_measurement(json, out);
  CHECK(out == sample());
  CHECK(e.find('\n') == std::string::npos);
  return e;
}

// An otherwise valid payload with `field` replaced (or added) as `json_value`.
std::string with(const std::string& field, const std::string& json_value) {
  std::string base = R"({"lecture_id":7,"sensor_id":"sensor-1","lecture":"21.5")";
  return base + ",\"" + field + "\":" + json_value + "}";
}

}  // namespace

TEST_CASE("encode writes the compact wire form") {
  CHECK(iot::encode(sample()) ==
        R"({"schema":1,"lecture_id":7,"sensor_id":"sensor-1","lecture":"21.5","seq":3,)"
        R"("timestamp":"2024-05-01T12:00:00.123Z","value":21.5,"unit":"C"})");
}

TEST_CASE("revision is written only for corrections") {
  auto m = sample();
  CHECK(!contains(iot::encode(m), "revision"));
  m.revision = 2;
  CHECK(contains(iot::encode(m), R"(,"revision":2})"));
}

TEST_CASE("encode escapes strings") {
  auto m = sample();
  m.lecture = "a\"b\\c\n\x01";
  CHECK(contains(iot::encode(m), R"("lecture":"a\"b\\c\n\u0001")"));
  iot::measurement back;
  REQUIRE(iot::decode_measurement(iot::encode(m), back) == "");
  CHECK(back == m);
}

TEST_CASE("round trips") {
  auto m = sample();
  iot::measurement back;
  REQUIRE(iot::decode_measurement(iot::encode(m), back) == "");
  CHECK(back == m);

  m.revision = 4;
  m.seq = 18446744073709551615ull;
  m.lecture_id = 18446744073709551615ull;
  m.unit =
      "\xc2\xb0"
      "C";  // °C
  m.value = -0.1;
  REQUIRE(iot::decode_measurement(iot::encode(m), back) == "");
  CHECK(back == m);
}

TEST_CASE("every finite double survives the round trip exactly") {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> readings(-100, 100);
  auto m = sample();
  iot::measurement back;
  int mismatches = 0;
  for (int i = 0; i < 20000; ++i) {
    if (i % 2) {
      m.value = readings(rng);
    } else {
      const auto bits = rng();
      std::memcpy(&m.value, &bits, sizeof bits);
      if (!std::isfinite(m.value)) continue;
    }
    if (!iot::decode_measurement(iot::encode(m), back).empty() || back.value != m.value)
      ++mismatches;
  }
  CHECK(mismatches == 0);
  for (double v : {0.1, 1e21, 1e-300, 5e-324, 1.7976931348623157e308, 123456789.0}) {
    m.value = v;
    REQUIRE(iot::decode_measurement(iot::encode(m), back) == "");
    CHECK(back.value == v);
  }
}

TEST_CASE("a negative zero keeps its sign") {
  auto m = sample();
  m.value = -0.0;
  CHECK(contains(iot::encode(m), R"("value":-0.0,)"));
  iot::measurement back;
  REQUIRE(iot::decode_measurement(iot::encode(m), back) == "");
  CHECK(std::signbit(back.value));
  CHECK(iot::encode(back) == iot::encode(m));
  m.value = 0.0;
  CHECK(contains(iot::encode(m), R"("value":0,)"));
}

TEST_CASE("a value that is not finite is left out (JSON cannot hold it)") {
  auto m = sample();
  m.value = std::numeric_limits<double>::quiet_NaN();
  CHECK(!contains(iot::encode(m), "value"));
  iot::measurement back;
  CHECK(iot::decode_measurement(iot::encode(m), back) == "");
  CHECK(back.value == 0);
}

TEST_CASE("the original payloads decode with the other fields defaulted") {
  iot::measurement m;
  m.seq = 9;
  m.value = 3;
  REQUIRE(iot::decode_measurement(R"({"lecture_id":12,"sensor_id":"sensor-1","lecture":"23.4"})",
                                  m) == "");
  CHECK(m.lecture_id == 12);
  CHECK(m.sensor_id == "sensor-1");
  CHECK(m.lecture == "23.4");
  CHECK(m.schema == 1);
  CHECK(m.seq == 0);
  CHECK(m.value == 0);
  CHECK(m.unit == "");
  CHECK(m.revision == 1);
  CHECK(m.timestamp == iot::clock::time_point{});
  CHECK(iot::decode_measurement(R"( { "sensor_id" : "s" , "lecture" : "" , "lecture_id" : 0 } )",
                                m) == "");
}

TEST_CASE("unknown fields are ignored, value may be an integer") {
  iot::measurement m;
  CHECK(iot::decode_measurement(with("extra", R"({"a":[1,2,null]})"), m) == "");
  CHECK(iot::decode_measurement(with("value", "21"), m) == "");
  CHECK(m.value == 21);
  CHECK(iot::decode_measurement(with("value", "-2.5e3"), m) == "");
  CHECK(m.value == -2500);
  CHECK(iot::decode_measurement(with("schema", "1"), m) == "");
  CHECK(iot::decode_measurement(with("timestamp", R"("2024-05-01T14:00:00.5+02:00")"), m) == "");
  CHECK(m.timestamp == sys_days{year{2024} / May / 1} + 12h + 500ms);
}

TEST_CASE("required fields") {
  CHECK(reject(R"({"sensor_id":"s","lecture":"1"})") == R"(field "lecture_id": missing)");
  CHECK(reject(R"({"lecture_id":1,"lecture":"1"})") == R"(field "sensor_id": missing)");
  CHECK(reject(R"({"lecture_id":1,"sensor_id":"s"})") == R"(field "lecture": missing)");
}

TEST_CASE("each field must have its JSON type") {
  CHECK(reject(R"({"lecture_id":"7","sensor_id":"s","lecture":"1"})") ==
        R"(field "lecture_id": must be an unsigned integer, not a string)");
  CHECK(reject(R"({"lecture_id":7,"sensor_id":5,"lecture":"1"})") ==
        R"(field "sensor_id": must be a string, not a number)");
  CHECK(reject(R"({"lecture_id":7,"sensor_id":"s","lecture":23.4})") ==
        R"(field "lecture": must be a string, not a number)");
  CHECK(reject(with("schema", R"("1")")) == R"(field "schema": must be an integer, not a string)");
  CHECK(reject(with("seq", R"("1")")) ==
        R"(field "seq": must be an unsigned integer, not a string)");
  CHECK(reject(with("timestamp", "5")) == R"(field "timestamp": must be a string, not a number)");
  CHECK(reject(with("value", R"("21.5")")) == R"(field "value": must be a number, not a string)");
  CHECK(reject(with("value", "true")) == R"(field "value": must be a number, not a boolean)");
  CHECK(reject(with("unit", "1")) == R"(field "unit": must be a string, not a number)");
  CHECK(reject(with("unit", "null")) == R"(field "unit": must be a string, not null)");
  CHECK(reject(with("revision", R"("2")")) ==
        R"(field "revision": must be an unsigned integer, not a string)");
  CHECK(reject(with("value", "1e400")) == R"(field "value": out of the range of a double)");
  CHECK(reject(with("seq", "[1]")) == R"(field "seq": must be an unsigned integer, not an array)");
}

TEST_CASE("negative and fractional numbers where unsigned integers are required") {
  CHECK(contains(reject(R"({"lecture_id":-1,"sensor_id":"s","lecture":"1"})"),
                 R"(field "lecture_id": must be an unsigned integer, not negative)"));
  CHECK(
      contains(reject(R"({"lecture_id":1.5,"sensor_id":"s","lecture":"1"})"),
               R"(field "lecture_id": must be an unsigned integer, not a number with a fraction)"));
  CHECK(contains(reject(R"({"lecture_id":1e2,"sensor_id":"s","lecture":"1"})"),
                 R"(field "lecture_id": must be an unsigned integer)"));
  CHECK(reject(R"({"lecture_id":18446744073709551616,"sensor_id":"s","lecture":"1"})") ==
        R"(field "lecture_id": must be an unsigned integer, at most 18446744073709551615)");
  CHECK(contains(reject(with("seq", "-3")), R"(field "seq": must be an unsigned integer)"));
  CHECK(contains(reject(with("seq", "3.0")), R"(field "seq": must be an unsigned integer)"));
  CHECK(contains(reject(with("revision", "-2")), R"(field "revision")"));
  CHECK(contains(reject(with("revision", "2.5")), R"(field "revision")"));
}

TEST_CASE("schema, sensor id, time stamp and revision are checked") {
  CHECK(reject(with("schema", "2")) == R"(field "schema": unsupported schema 2 (expected 1))");
  CHECK(reject(with("schema", "0")) == R"(field "schema": unsupported schema 0 (expected 1))");
  CHECK(
      reject(R"({"lecture_id":7,"sensor_id":"a b","lecture":"1"})") ==
      R"(field "sensor_id": sensor id "a b" is invalid: use 1-64 characters of A-Z a-z 0-9 _ -, or <fleet>.<member> for a fleet's)");
  CHECK(contains(reject(R"({"lecture_id":7,"sensor_id":"","lecture":"1"})"), "is invalid"));
  CHECK(contains(reject(with("timestamp", R"("2024-13-01T00:00:00Z")")),
                 R"(field "timestamp": "2024-13-01T00:00:00Z" is not an RFC 3339 time stamp)"));
  CHECK(contains(reject(with("timestamp", R"("yesterday")")), "is not an RFC 3339 time stamp"));
  CHECK(reject(with("revision", "0")) == R"(field "revision": must be at least 1)");
  CHECK(reject(with("revision", "4294967296")) == R"(field "revision": 4294967296 is too large)");
  iot::measurement m;
  CHECK(iot::decode_measurement(with("revision", "4294967295"), m) == "");
  CHECK(m.revision == 4294967295u);
}

TEST_CASE("strings must be UTF-8") {
  CHECK(reject("{\"lecture_id\":7,\"sensor_id\":\"s\",\"lecture\":\"\xff\"}") ==
        R"(field "lecture": not valid UTF-8)");
  CHECK(reject(with("unit", "\"\xc3\"")) == R"(field "unit": not valid UTF-8)");
  CHECK(reject(with("extra", "\"\xc3\"")) == R"(field "extra": not valid UTF-8)");
  CHECK(reject(with("\xf8\x88\x80\x80\x80", "1")) ==
        R"(field name "\xf8\x88\x80\x80\x80" is not valid UTF-8)");
}

TEST_CASE("payloads that are not one JSON object") {
  CHECK(contains(reject(""), "not valid JSON"));
  CHECK(contains(reject("{"), "not valid JSON"));
  CHECK(contains(reject(R"({"lecture_id":7,})"), "not valid JSON"));
  CHECK(contains(reject(R"({"lecture_id":7} {})"), "not valid JSON"));
  CHECK(reject(with("lecture", R"("22.0")")) == R"(duplicate field "lecture")");
  CHECK(reject("[]") == "not a JSON object (got an array)");
  CHECK(reject(R"("text")") == "not a JSON object (got a string)");
  CHECK(reject("42") == "not a JSON object (got a number)");
  CHECK(reject("null") == "not a JSON object (got null)");
}

TEST_CASE("payload size and nesting are limited") {
  CHECK(contains(reject(with("pad", '"' + std::string(65536, 'x') + '"')),
                 "more than the 65536-byte limit"));
  CHECK(reject(with("deep", std::string(32, '[') + std::string(32, ']'))) ==
        "JSON nesting is deeper than 32 levels");
}

TEST_CASE("message ids") {
  auto m = sample();
  CHECK(iot::message_id(m) == "sensor-1:7");
  m.revision = 2;
  CHECK(iot::message_id(m) == "sensor-1:7:2");
}

TEST_CASE("a complete measurement needs every field of schema 1; nothing is defaulted") {
  iot::measurement back;
  REQUIRE(iot::decode_complete_measurement(iot::encode(sample()), back) == "");
  CHECK(back == sample());
  const std::string original = R"({"lecture_id":7,"sensor_id":"sensor-1","lecture":"21.5"})";
  CHECK(iot::decode_measurement(original, back) == "");  // the lenient decode accepts it
  for (const char* field : {"schema", "seq", "timestamp", "value", "unit"}) {
    INFO(field);
    auto o = boost::json::parse(iot::encode(sample())).as_object();
    o.erase(field);
    iot::measurement out = sample();
    out.lecture_id = 99;
    const auto e = iot::decode_complete_measurement(boost::json::serialize(o), out);
    CHECK(contains(e, field));
    CHECK(contains(e, "missing"));
    CHECK(out.lecture_id == 99);  // untouched on failure
  }
  CHECK(contains(iot::decode_complete_measurement(original, back), "missing"));
}
