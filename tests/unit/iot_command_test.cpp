#include <doctest/doctest.h>

#include <set>
#include <string>
#include <thread>

#include "iot/command.hpp"

using namespace std::chrono;
using iot::command;
using iot::command_kind;

namespace {

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

command marker() {
  command c;
  c.command_uuid = "untouched";
  return c;
}

// decode_command's reason; `out` must stay untouched on failure.
std::string reject(std::string_view json) {
  command out = marker();
  auto e = iot::decode_command(json, out);
  CHECK(out == marker());
  CHECK(!e.empty());
  CHECK(e.find('\n') == std::string::npos);
  return e;
}

command accept(std::string_view json) {
  command out;
  const auto e = iot::decode_command(json, out);
  CHECK(e == "");
  return out;
}

const std::string update = R"({"command_id":1,"new_interval_milliseconds":5000)";
const std::string edit = R"({"command_id":2,"metric_id":17,"new_measurement_value":"42.0")";

// `base` (an object without its closing brace) plus one field.
std::string plus(const std::string& base, const std::string& field, const std::string& value) {
  return base + ",\"" + field + "\":" + value + "}";
}

const iot::clock::time_point noon = sys_days{year{2024} / May / 1} + 12h;

}  // namespace

TEST_CASE("the original payloads decode") {
  auto u = accept(
      R"({"command_id":1,"metric_id":0,"new_measurement_value":"","new_interval_milliseconds":5000})");
  CHECK(u.kind == command_kind::update_config);
  CHECK(u.new_interval == 5000ms);
  CHECK(u.schema == 1);
  CHECK(u.command_uuid == "");
  CHECK(!u.issued_at);

  auto e = accept(
      R"({"command_id":2,"metric_id":17,"new_measurement_value":"42.0","new_interval_milliseconds":0})");
  CHECK(e.kind == command_kind::edit_measurement);
  CHECK(e.metric_id == 17);
  CHECK(e.new_measurement_value == "42.0");
  CHECK(e.new_interval == 0ms);  // ignored for edit_measurement
  CHECK(e.schema == 1);
}

TEST_CASE("only the kind's own fields are required") {
  CHECK(accept(update + "}").new_interval == 5000ms);
  const auto e = accept(edit + "}");
  CHECK(e.metric_id == 17);
  CHECK(e.new_measurement_value == "42.0");
  CHECK(accept(R"({"command_id":2,"metric_id":0,"new_measurement_value":""})").metric_id == 0);
}

TEST_CASE("fields of the other kind are ignored") {
  const auto u = accept(
      R"({"command_id":1,"metric_id":5,"new_measurement_value":"x","new_interval_milliseconds":250})");
  CHECK(u.metric_id == 0);
  CHECK(u.new_measurement_value == "");
  CHECK(u.new_interval == 250ms);
  CHECK(accept(plus(edit, "new_interval_milliseconds", "999999999999")).new_interval == 0ms);
}

TEST_CASE("unknown extra fields are ignored") {
  CHECK(accept(plus(update, "future", R"({"a":[1,2,{"b":null}]})")).new_interval == 5000ms);
  CHECK(accept(plus(edit, "priority", "\"high\"")).metric_id == 17);
  CHECK(accept(plus(update, "x", "null")).new_interval == 5000ms);
}

TEST_CASE("encode writes the four original fields, then the new ones") {
  command c;
  c.kind = command_kind::update_config;
  c.new_interval = 5s;
  CHECK(
      iot::encode(c) ==
      R"({"command_id":1,"metric_id":0,"new_measurement_value":"","new_interval_milliseconds":5000,"schema":1})");
  c.command_uuid = "0b0e4c9e-4bb4-4c5c-9a59-3d1d1f7fbd11";
  c.issued_at = noon + 7ms;
  CHECK(
      iot::encode(c) ==
      R"({"command_id":1,"metric_id":0,"new_measurement_value":"","new_interval_milliseconds":5000,"schema":1,)"
      R"("command_uuid":"0b0e4c9e-4bb4-4c5c-9a59-3d1d1f7fbd11","issued_at":"2024-05-01T12:00:00.007Z"})");
}

TEST_CASE("round trips of both kinds") {
  command u;
  u.kind = command_kind::update_config;
  u.new_interval = 24h;
  u.command_uuid = iot::new_uuid();
  u.issued_at = noon + 123ms;
  command back;
  REQUIRE(iot::decode_command(iot::encode(u), back) == "");
  CHECK(back == u);

  command e;
  e.kind = command_kind::edit_measurement;
  e.metric_id = 18446744073709551615ull;
  e.new_measurement_value = "\xe2\x82\xac 4\"2\\";  // "€ 4"2\"
  e.command_uuid = iot::new_uuid();
  REQUIRE(iot::decode_command(iot::encode(e), back) == "");
  CHECK(back == e);
}

TEST_CASE("schema: absent or 1") {
  CHECK(accept(plus(update, "schema", "1")).schema == 1);
  CHECK(reject(plus(update, "schema", "2")) ==
        R"(field "schema": unsupported schema 2 (expected 1))");
  CHECK(contains(reject(plus(update, "schema", "\"1\"")), R"(field "schema": must be an integer)"));
  CHECK(contains(reject(plus(update, "schema", "1.5")), R"(field "schema")"));
}

TEST_CASE("command_id: required, an unsigned integer, 1 or 2") {
  CHECK(reject(R"({"new_interval_milliseconds":5000})") == R"(field "command_id": missing)");
  CHECK(reject(R"({"command_id":3,"new_interval_milliseconds":5000})") ==
        R"(field "command_id": unknown command 3 (1 is update_config, 2 is edit_measurement))");
  CHECK(contains(reject(R"({"command_id":0,"new_interval_milliseconds":5000})"),
                 "unknown command 0"));
  CHECK(contains(reject(R"({"command_id":"1","new_interval_milliseconds":5000})"),
                 R"(field "command_id": must be an unsigned integer, not a string)"));
  CHECK(contains(reject(R"({"command_id":-1,"new_interval_milliseconds":5000})"),
                 R"(field "command_id": must be an unsigned integer, not negative)"));
  CHECK(
      contains(reject(R"({"command_id":1.5,"new_interval_milliseconds":5000})"),
               R"(field "command_id": must be an unsigned integer, not a number with a fraction)"));
  CHECK(contains(reject(R"({"command_id":true,"new_interval_milliseconds":5000})"),
                 R"(field "command_id": must be an unsigned integer, not a boolean)"));
}

TEST_CASE("a missing field for the kind") {
  CHECK(reject(R"({"command_id":1})") ==
        R"(field "new_interval_milliseconds": missing (required for update_config))");
  CHECK(reject(R"({"command_id":1,"metric_id":0,"new_measurement_value":""})") ==
        R"(field "new_interval_milliseconds": missing (required for update_config))");
  CHECK(reject(R"({"command_id":2,"new_measurement_value":"1"})") ==
        R"(field "metric_id": missing (required for edit_measurement))");
  CHECK(reject(R"({"command_id":2,"metric_id":1,"new_interval_milliseconds":5000})") ==
        R"(field "new_measurement_value": missing (required for edit_measurement))");
}

TEST_CASE("each known field must have its JSON type, whatever the kind") {
  CHECK(reject(plus(R"({"command_id":2,"new_measurement_value":"1")", "metric_id", "\"17\"")) ==
        R"(field "metric_id": must be an unsigned integer, not a string)");
  CHECK(reject(plus(R"({"command_id":2,"metric_id":1)", "new_measurement_value", "42")) ==
        R"(field "new_measurement_value": must be a string, not a number)");
  CHECK(reject(plus(R"({"command_id":1)", "new_interval_milliseconds", "\"5000\"")) ==
        R"(field "new_interval_milliseconds": must be an unsigned integer, not a string)");
  CHECK(reject(plus(update, "command_uuid", "5")) ==
        R"(field "command_uuid": must be a string, not a number)");
  CHECK(reject(plus(update, "issued_at", "5")) ==
        R"(field "issued_at": must be a string, not a number)");
  CHECK(reject(plus(update, "issued_at", "null")) ==
        R"(field "issued_at": must be a string, not null)");
  // Fields of the other kind are checked too.
  CHECK(reject(plus(update, "metric_id", "\"x\"")) ==
        R"(field "metric_id": must be an unsigned integer, not a string)");
  CHECK(reject(plus(update, "new_measurement_value", "null")) ==
        R"(field "new_measurement_value": must be a string, not null)");
  CHECK(reject(plus(edit, "new_interval_milliseconds", "\"5s\"")) ==
        R"(field "new_interval_milliseconds": must be an unsigned integer, not a string)");
}

TEST_CASE("negative or fractional numbers where unsigned integers are required") {
  CHECK(contains(reject(plus(R"({"command_id":2,"new_measurement_value":"1")", "metric_id", "-1")),
                 R"(field "metric_id": must be an unsigned integer, not negative (-1))"));
  CHECK(
      contains(reject(plus(R"({"command_id":2,"new_measurement_value":"1")", "metric_id", "1.5")),
               R"(field "metric_id": must be an unsigned integer, not a number with a fraction)"));
  CHECK(contains(reject(plus(R"({"command_id":2,"new_measurement_value":"1")", "metric_id", "1e3")),
                 R"(field "metric_id": must be an unsigned integer)"));
  CHECK(
      contains(reject(plus(R"({"command_id":1)", "new_interval_milliseconds", "-5000")),
               R"(field "new_interval_milliseconds": must be an unsigned integer, not negative)"));
  CHECK(
      contains(reject(plus(R"({"command_id":1)", "new_interval_milliseconds", "5000.5")),
               R"(field "new_interval_milliseconds": must be an unsigned integer, not a number)"));
  CHECK(contains(reject(plus(R"({"command_id":1)", "new_interval_milliseconds", "5000.0")),
                 R"(field "new_interval_milliseconds": must be an unsigned integer)"));
}

TEST_CASE("integers beyond 64 bits are rejected as such") {
  const std::string edit_base = R"({"command_id":2,"new_measurement_value":"1")";
  // metric_id takes every unsigned 64-bit value, 2^63 and above included.
  CHECK(accept(plus(edit_base, "metric_id", "9223372036854775808")).metric_id ==
        9223372036854775808ull);
  CHECK(accept(plus(edit_base, "metric_id", "18446744073709551615")).metric_id ==
        18446744073709551615ull);
  CHECK(reject(plus(edit_base, "metric_id", "18446744073709551616")) ==
        R"(field "metric_id": must be an unsigned integer, at most 18446744073709551615)");
  CHECK(reject(plus(edit_base, "metric_id", "100000000000000000000000000000")) ==
        R"(field "metric_id": must be an unsigned integer, at most 18446744073709551615)");
  CHECK(reject(plus(edit_base, "metric_id", "1e400")) ==
        R"(field "metric_id": must be an unsigned integer, at most 18446744073709551615)");
  CHECK(reject(plus(edit_base, "metric_id", "-9223372036854775809")) ==
        R"(field "metric_id": must be an unsigned integer, not negative)");
  CHECK(reject(plus(edit_base, "metric_id", "-9223372036854775808")) ==
        R"(field "metric_id": must be an unsigned integer, not negative (-9223372036854775808))");
  CHECK(
      reject(plus(R"({"command_id":1)", "new_interval_milliseconds", "99999999999999999999")) ==
      R"(field "new_interval_milliseconds": must be an unsigned integer, at most 18446744073709551615)");
  CHECK(reject(R"({"command_id":18446744073709551616,"new_interval_milliseconds":5})") ==
        R"(field "command_id": must be an unsigned integer, at most 18446744073709551615)");
  CHECK(reject(plus(update, "schema", "99999999999999999999")) ==
        R"(field "schema": unsupported schema (expected 1))");
  CHECK(reject(plus(update, "schema", "18446744073709551615")) ==
        R"(field "schema": unsupported schema 18446744073709551615 (expected 1))");
}

TEST_CASE("the interval must be within 1 ms - 24 h") {
  CHECK(reject(R"({"command_id":1,"new_interval_milliseconds":0})") ==
        R"(field "new_interval_milliseconds": 0 ms is outside 1 ms - 24 h)");
  CHECK(reject(R"({"command_id":1,"new_interval_milliseconds":86400001})") ==
        R"(field "new_interval_milliseconds": 86400001 ms is outside 1 ms - 24 h)");
  CHECK(reject(R"({"command_id":1,"new_interval_milliseconds":18446744073709551615})") ==
        R"(field "new_interval_milliseconds": 18446744073709551615 ms is outside 1 ms - 24 h)");
  CHECK(accept(R"({"command_id":1,"new_interval_milliseconds":1})").new_interval == 1ms);
  CHECK(accept(R"({"command_id":1,"new_interval_milliseconds":86400000})").new_interval == 24h);
}

TEST_CASE("issued_at must be an RFC 3339 time stamp") {
  CHECK(accept(plus(update, "issued_at", R"("2024-05-01T14:00:00+02:00")")).issued_at == noon);
  CHECK(
      reject(plus(update, "issued_at", R"("2024-05-01 12:00")")) ==
      R"(field "issued_at": "2024-05-01 12:00" is not an RFC 3339 time stamp (like 2024-05-01T12:00:00.123Z))");
  CHECK(contains(reject(plus(update, "issued_at", R"("")")), R"(field "issued_at")"));
}

TEST_CASE("new_measurement_value: at most 4096 bytes of UTF-8") {
  const auto value_of = [](const std::string& json_string) {
    return R"({"command_id":2,"metric_id":1,"new_measurement_value":)" + json_string + "}";
  };
  CHECK(accept(value_of('"' + std::string(4096, 'x') + '"')).new_measurement_value.size() == 4096);
  CHECK(reject(value_of('"' + std::string(4097, 'x') + '"')) ==
        R"(field "new_measurement_value": 4097 bytes, more than the 4096-byte limit)");
  // 1366 three-byte characters are 4098 bytes: the limit counts bytes.
  std::string euros;
  for (int i = 0; i < 1366; ++i) euros += "\xe2\x82\xac";
  CHECK(contains(reject(value_of('"' + euros + '"')), "4098 bytes"));
  CHECK(accept(value_of(R"("\u20ac \u00b0C")")).new_measurement_value ==
        "\xe2\x82\xac \xc2\xb0"
        "C");
  CHECK(accept(value_of("\"\xf0\x9f\x98\x80\"")).new_measurement_value == "\xf0\x9f\x98\x80");

  const std::string invalid = R"(field "new_measurement_value": not valid UTF-8)";
  CHECK(reject(value_of("\"\xff\"")) == invalid);
  CHECK(reject(value_of("\"a\xc3\"")) == invalid);             // truncated
  CHECK(reject(value_of("\"\xc0\xaf\"")) == invalid);          // overlong '/'
  CHECK(reject(value_of("\"\xe0\x80\xaf\"")) == invalid);      // overlong
  CHECK(reject(value_of("\"\xed\xa0\x80\"")) == invalid);      // surrogate
  CHECK(reject(value_of("\"\xf4\x90\x80\x80\"")) == invalid);  // above U+10FFFF
  CHECK(reject(value_of("\"\x80\"")) == invalid);              // lone continuation byte
  // The same rules hold when the field is not used (update_config).
  CHECK(reject(R"({"command_id":1,"new_interval_milliseconds":5,"new_measurement_value":")" +
               std::string("\xff") + "\"}") == invalid);
}

TEST_CASE("other strings must be UTF-8 too") {
  CHECK(reject(plus(update, "command_uuid", "\"\xfe\"")) ==
        R"(field "command_uuid": not valid UTF-8)");
}

TEST_CASE("the whole payload must be UTF-8, ignored fields and field names included") {
  CHECK(reject(plus(update, "note", "\"\xff\"")) == R"(field "note": not valid UTF-8)");
  CHECK(reject(plus(update, "x", "[1,{\"y\":\"\xc0\xaf\"}]")) == R"(field "x": not valid UTF-8)");
  CHECK(reject(plus(update, "x", "{\"\xed\xa0\x80\":1}")) == R"(field "x": not valid UTF-8)");
  CHECK(reject(plus(update, "\xff", "1")) == R"(field name "\xff" is not valid UTF-8)");
  CHECK(reject(plus(update, "a\\\"b\xff", "1")) == R"(field name "a\"b\xff" is not valid UTF-8)");
  // A field of the other kind, ignored once decoded, is checked as well.
  CHECK(reject(plus(update, "new_measurement_value", "\"\xff\"")) ==
        R"(field "new_measurement_value": not valid UTF-8)");
  // Escapes that make valid UTF-8 are fine; lone surrogates are not JSON.
  CHECK(accept(plus(update, "x", R"("\ud83d\ude00 \u0000")")).new_interval == 5000ms);
  CHECK(contains(reject(plus(update, "x", R"("\ud800")")), "not valid JSON"));
  CHECK(contains(reject(plus(update, "x", R"("\udc00")")), "not valid JSON"));
}

TEST_CASE("payloads larger than 64 KiB are rejected") {
  const auto padded = [](std::size_t total) {
    const std::string head = update + R"(,"pad":")";
    return head + std::string(total - head.size() - 2, 'x') + "\"}";
  };
  CHECK(padded(65536).size() == 65536);
  CHECK(accept(padded(65536)).new_interval == 5000ms);
  CHECK(reject(padded(65537)) == "payload is 65537 bytes, more than the 65536-byte limit");
  CHECK(contains(reject(std::string(1 << 20, ' ')), "more than the 65536-byte limit"));
}

TEST_CASE("JSON nested deeper than 32 levels is rejected") {
  const auto nested = [](int arrays) {
    return plus(update, "x", std::string(arrays, '[') + std::string(arrays, ']'));
  };
  CHECK(accept(nested(31)).new_interval == 5000ms);  // 32 levels with the outer object
  CHECK(reject(nested(32)) == "JSON nesting is deeper than 32 levels");
  CHECK(reject(nested(10000)) == "JSON nesting is deeper than 32 levels");
  std::string objects = "1";
  for (int i = 0; i < 40; ++i) objects = R"({"a":)" + objects + "}";
  CHECK(reject(plus(update, "x", objects)) == "JSON nesting is deeper than 32 levels");
}

TEST_CASE("a field given twice is rejected, not resolved") {
  CHECK(reject(R"({"command_id":1,"command_id":2,"metric_id":3,"new_measurement_value":"v",)"
               R"("new_interval_milliseconds":5})") == R"(duplicate field "command_id")");
  CHECK(reject(plus(update, "new_interval_milliseconds", "0")) ==
        R"(duplicate field "new_interval_milliseconds")");
  CHECK(reject(plus(update, "x", R"({"a":1,"a":2})")) == R"(duplicate field "a")");
  // The same key in different objects is fine.
  CHECK(accept(plus(update, "x", R"({"command_id":1,"y":{"command_id":2}})")).new_interval ==
        5000ms);
  // Escapes are resolved before comparing.
  CHECK(reject(R"({"command_id":1,"comm\u0061nd_id":2,"new_interval_milliseconds":5})") ==
        R"(duplicate field "command_id")");
}

TEST_CASE("payloads that are not one JSON object") {
  CHECK(contains(reject(""), "not valid JSON"));
  CHECK(contains(reject("{\"command_id\":1"), "not valid JSON"));
  CHECK(contains(reject("{'command_id':1}"), "not valid JSON"));
  CHECK(contains(reject(update + "} x"), "not valid JSON"));
  CHECK(contains(reject("{\"command_id\":NaN}"), "not valid JSON"));
  CHECK(reject("[1]") == "not a JSON object (got an array)");
  CHECK(reject("1") == "not a JSON object (got a number)");
  CHECK(reject("\"update\"") == "not a JSON object (got a string)");
}

TEST_CASE("new_uuid: RFC 4122 version 4, lowercase 8-4-4-4-12") {
  const auto well_formed = [](const std::string& u) {
    if (u.size() != 36) return false;
    for (std::size_t k = 0; k < u.size(); ++k) {
      const bool dash = k == 8 || k == 13 || k == 18 || k == 23;
      if (dash != (u[k] == '-')) return false;
      if (!dash && std::string_view("0123456789abcdef").find(u[k]) == std::string_view::npos)
        return false;
    }
    return u[14] == '4' && std::string_view("89ab").find(u[19]) != std::string_view::npos;
  };
  CHECK(well_formed(iot::new_uuid()));
  CHECK(!well_formed("0b0e4c9e-4bb4-3c5c-9a59-3d1d1f7fbd11"));  // the check itself works
  std::set<std::string> seen;
  int malformed = 0;
  bool variants[4] = {};
  for (int i = 0; i < 2000; ++i) {
    const auto u = iot::new_uuid();
    if (!well_formed(u)) ++malformed;
    variants[std::string_view("89ab").find(u[19]) & 3] = true;
    seen.insert(u);
  }
  CHECK(malformed == 0);
  CHECK(seen.size() == 2000);
  CHECK((variants[0] && variants[1] && variants[2] && variants[3]));  // random bits stay random
}

TEST_CASE("new_uuid differs between threads") {
  std::string a, b;
  std::thread t1([&] { a = iot::new_uuid(); });
  std::thread t2([&] { b = iot::new_uuid(); });
  t1.join();
  t2.join();
  CHECK(a != b);
  CHECK(a != iot::new_uuid());
}
