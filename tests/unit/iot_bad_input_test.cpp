// Bad input for every decoder of lib/iot, the same cases for each: payloads
// over the limit, invalid UTF-8, deep nesting, numbers out of range, huge
// strings. Each is rejected with a short one-line reason that says what was
// wrong, and leaves the output untouched.
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <vector>

#include "iot/command.hpp"
#include "iot/command_result.hpp"
#include "iot/duration.hpp"
#include "iot/measurement.hpp"
#include "iot/sensor_config.hpp"
#include "iot/settings.hpp"

using namespace std::chrono_literals;

namespace {

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

// Reasons quote at most 80 bytes of the input: they stay short whatever it holds.
constexpr std::size_t max_reason_bytes = 300;

void check_reason(const std::string& e) {
  CHECK(!e.empty());
  CHECK(e.find_first_of("\r\n") == std::string::npos);
  CHECK(e.size() <= max_reason_bytes);
}

// Decodes `json` into a value that no decode produces; the reason, or "" when accepted.
template <class T>
std::string decode_as(std::string (*decode)(std::string_view, T&), std::string_view json) {
  T marker;
  if constexpr (requires { marker.error; }) marker.error = "untouched";
  if constexpr (requires { marker.schema; }) marker.schema = 7;
  T out = marker;
  const auto e = decode(json, out);
  if (!e.empty()) {
    CHECK(out == marker);
    check_reason(e);
  }
  return e;
}

struct decoder {
  std::string name;
  std::function<std::string(std::string_view)> decode;  // "" or the reason
  std::string head;                                     // a valid payload without its closing brace
};

const std::vector<decoder>& decoders() {
  static const std::vector<decoder> all = {
      {"command",
       [](std::string_view j) { return decode_as<iot::command>(iot::decode_command, j); },
       R"({"command_id":2,"metric_id":1,"new_measurement_value":"v")"},
      {"measurement",
       [](std::string_view j) { return decode_as<iot::measurement>(iot::decode_measurement, j); },
       R"({"lecture_id":7,"sensor_id":"s","lecture":"21.5")"},
      {"sensor_config",
       [](std::string_view j) {
         return decode_as<iot::sensor_config>(iot::decode_sensor_config, j);
       },
       R"({"sensor_id":"s","interval_ms":1000)"},
      {"command_result",
       [](std::string_view j) {
         return decode_as<iot::command_result>(iot::decode_command_result, j);
       },
       R"({"sensor_id":"s","status":"applied")"},
  };
  return all;
}

// `head` plus one field.
std::string plus(const std::string& head, const std::string& field, const std::string& value) {
  return head + ",\"" + field + "\":" + value + "}";
}

std::string repeat(std::string_view s, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

TEST_CASE("every decoder accepts its valid payload (the cases below start from it)") {
  for (const auto& d : decoders()) {
    CAPTURE(d.name);
    CHECK(d.decode(d.head + "}") == "");
  }
}

TEST_CASE("payloads over 64 KiB are rejected before they are parsed") {
  for (const auto& d : decoders()) {
    CAPTURE(d.name);
    const auto open = d.head + R"(,"pad":")";
    const auto padded = [&](std::size_t total) {
      return open + std::string(total - open.size() - 2, 'x') + "\"}";
    };
    CHECK(d.decode(padded(65536)) == "");
    CHECK(d.decode(padded(65537)) == "payload is 65537 bytes, more than the 65536-byte limit");
    // Not even looked at: neither valid JSON nor UTF-8.
    CHECK(d.decode(std::string(16 << 20, '\xff')) ==
          "payload is 16777216 bytes, more than the 65536-byte limit");
  }
}

TEST_CASE("invalid UTF-8 is rejected wherever it is, naming the field") {
  const std::vector<std::string> invalid = {
      "\xff",                  // never in UTF-8
      "\x80",                  // a lone continuation byte
      "a\xc3",                 // truncated
      "\xc0\xaf",              // overlong '/'
      "\xe0\x80\xaf",          // overlong
      "\xed\xa0\x80",          // a surrogate
      "\xf4\x90\x80\x80",      // above U+10FFFF
      "\xf8\x88\x80\x80\x80",  // a five-byte form
  };
  for (const auto& d : decoders()) {
    for (const auto& bytes : invalid) {
      CAPTURE(d.name);
      CAPTURE(bytes);
      const auto s = '"' + bytes + '"';
      CHECK(d.decode(plus(d.head, "extra", s)) == R"(field "extra": not valid UTF-8)");
      CHECK(d.decode(plus(d.head, "extra", "[1,{\"a\":" + s + "}]")) ==
            R"(field "extra": not valid UTF-8)");
      const auto key = d.decode(plus(d.head, "k" + bytes, "1"));
      CHECK(key.find("field name \"k") == 0);
      CHECK(contains(key, "\\x"));
      CHECK(contains(key, "\" is not valid UTF-8"));
    }
  }
  // In the fields each decoder reads.
  CHECK(decoders()[0].decode(R"({"command_id":2,"metric_id":1,"new_measurement_value":")"
                             "\xff\"}") == R"(field "new_measurement_value": not valid UTF-8)");
  CHECK(decoders()[1].decode(R"({"lecture_id":7,"sensor_id":"s","lecture":")"
                             "\xc3\"}") == R"(field "lecture": not valid UTF-8)");
  CHECK(decoders()[2].decode(plus(decoders()[2].head, "last_command_id", "\"\xed\xbf\xbf\"")) ==
        R"(field "last_command_id": not valid UTF-8)");
  CHECK(decoders()[3].decode(plus(decoders()[3].head, "command_uuid", "\"\xfe\"")) ==
        R"(field "command_uuid": not valid UTF-8)");
}

TEST_CASE("JSON nested deeper than 32 levels is rejected, however deep") {
  for (const auto& d : decoders()) {
    CAPTURE(d.name);
    CHECK(d.decode(plus(d.head, "x", std::string(31, '[') + std::string(31, ']'))) == "");
    for (std::size_t depth : {32, 33, 1000, 10000}) {
      CAPTURE(depth);
      const auto too_deep = "JSON nesting is deeper than 32 levels";
      CHECK(d.decode(plus(d.head, "x", std::string(depth, '[') + std::string(depth, ']'))) ==
            too_deep);
      CHECK(d.decode(plus(d.head, "x",
                          repeat(R"({"a":)", depth) + "1" + std::string(depth, '}'))) == too_deep);
      CHECK(d.decode(plus(d.head, "x", repeat(R"([{"a":)", depth / 2)) + "1") == too_deep);
    }
    CHECK(d.decode(std::string(60000, '[')) == "JSON nesting is deeper than 32 levels");
  }
}

TEST_CASE("numbers out of range where integers are required") {
  struct field {
    std::size_t decoder;
    std::string name;
    std::string head;  // a payload without the field and its closing brace
  };
  const std::vector<field> integer_fields = {
      {0, "metric_id", R"({"command_id":2,"new_measurement_value":"v")"},
      {0, "new_interval_milliseconds", R"({"command_id":1)"},
      {0, "command_id", R"({"new_interval_milliseconds":5)"},
      {1, "lecture_id", R"({"sensor_id":"s","lecture":"21.5")"},
      {1, "seq", decoders()[1].head},
      {1, "revision", decoders()[1].head},
      {2, "interval_ms", R"({"sensor_id":"s")"},
  };
  for (const auto& f : integer_fields) {
    const auto& d = decoders()[f.decoder];
    const auto reason = [&](const std::string& value) {
      return d.decode(plus(f.head, f.name, value));
    };
    const auto field = "field \"" + f.name + "\": ";
    CAPTURE(f.name);
    CHECK(reason("-1") == field + "must be an unsigned integer, not negative (-1)");
    CHECK(reason("-9223372036854775809") == field + "must be an unsigned integer, not negative");
    CHECK(reason("18446744073709551616") ==
          field + "must be an unsigned integer, at most 18446744073709551615");
    CHECK(reason("1" + std::string(300, '0')) ==
          field + "must be an unsigned integer, at most 18446744073709551615");
    CHECK(reason("1e400") == field + "must be an unsigned integer, at most 18446744073709551615");
    CHECK(reason("-1e400") == field + "must be an unsigned integer, not negative");
    CHECK(reason("1.5") ==
          field + "must be an unsigned integer, not a number with a fraction or an exponent");
    CHECK(reason("2.0") ==
          field + "must be an unsigned integer, not a number with a fraction or an exponent");
    CHECK(reason("2e0") ==
          field + "must be an unsigned integer, not a number with a fraction or an exponent");
    CHECK(reason("\"NaN\"") == field + "must be an unsigned integer, not a string");
    CHECK(reason("\"18446744073709551615\"") ==
          field + "must be an unsigned integer, not a string");
    CHECK(reason("true") == field + "must be an unsigned integer, not a boolean");
    CHECK(contains(reason("NaN"), "not valid JSON"));
    CHECK(contains(reason("Infinity"), "not valid JSON"));
    CHECK(contains(reason("-"), "not valid JSON"));
    CHECK(contains(reason("0x10"), "not valid JSON"));
    CHECK(contains(reason("01"), "not valid JSON"));
  }
  // metric_id takes the whole unsigned 64-bit range.
  CHECK(decoders()[0].decode(plus(R"({"command_id":2,"new_measurement_value":"v")", "metric_id",
                                  "9223372036854775808")) == "");
  // Intervals: 1 ms - 24 h, whatever the size of the number.
  CHECK(decoders()[0].decode(R"({"command_id":1,"new_interval_milliseconds":0})") ==
        R"(field "new_interval_milliseconds": 0 ms is outside 1 ms - 24 h)");
  CHECK(
      decoders()[0].decode(R"({"command_id":1,"new_interval_milliseconds":9223372036854775808})") ==
      R"(field "new_interval_milliseconds": 9223372036854775808 ms is outside 1 ms - 24 h)");
  CHECK(decoders()[2].decode(R"({"sensor_id":"s","interval_ms":86400001})") ==
        R"(field "interval_ms": 86400001 ms is outside 1 ms - 24 h)");
  CHECK(decoders()[3].decode(
            plus(decoders()[3].head, "config", R"({"sensor_id":"s","interval_ms":-5})")) ==
        R"(field "config": field "interval_ms": must be an unsigned integer, not negative (-5))");
  // revision is 32 bits.
  CHECK(decoders()[1].decode(plus(decoders()[1].head, "revision", "4294967296")) ==
        R"(field "revision": 4294967296 is too large)");
  // schema: 1, not a larger integer.
  CHECK(decoders()[2].decode(plus(decoders()[2].head, "schema", "1" + std::string(30, '0'))) ==
        R"(field "schema": unsupported schema (expected 1))");
  // A measurement's value is any finite double.
  CHECK(decoders()[1].decode(plus(decoders()[1].head, "value", "1e400")) ==
        R"(field "value": out of the range of a double)");
  CHECK(decoders()[1].decode(plus(decoders()[1].head, "value", "-1e400")) ==
        R"(field "value": out of the range of a double)");
  CHECK(decoders()[1].decode(plus(decoders()[1].head, "value", "\"NaN\"")) ==
        R"(field "value": must be a number, not a string)");
  CHECK(decoders()[1].decode(plus(decoders()[1].head, "value", "1e-400")) == "");  // rounds to 0
}

TEST_CASE("huge strings: over their limit, or not what the field holds") {
  const auto& command = decoders()[0];
  const auto value = [](std::size_t n) {
    return R"({"command_id":2,"metric_id":1,"new_measurement_value":")" + std::string(n, 'v') +
           "\"}";
  };
  CHECK(command.decode(value(4096)) == "");
  CHECK(command.decode(value(4097)) ==
        R"(field "new_measurement_value": 4097 bytes, more than the 4096-byte limit)");
  CHECK(command.decode(value(65000)) ==
        R"(field "new_measurement_value": 65000 bytes, more than the 4096-byte limit)");
  // Reasons quote the start of what was wrong, not all of it.
  const std::string long_id(60000, 's');
  for (const auto& d : {decoders()[1], decoders()[2], decoders()[3]}) {
    CAPTURE(d.name);
    const auto e = d.decode(R"({"sensor_id":")" + long_id +
                            R"(","lecture_id":1,"lecture":"",)"
                            R"("interval_ms":1,"status":"applied"})");
    CHECK(e.find(R"(field "sensor_id": sensor id "sss)") == 0);
    CHECK(contains(e, "...\" is invalid: use 1-64 characters"));
  }
  CHECK(contains(decoders()[1].decode(
                     plus(decoders()[1].head, "timestamp", '"' + std::string(60000, '9') + '"')),
                 R"(field "timestamp": "99999)"));
  CHECK(contains(decoders()[0].decode(R"({"command_id":1,"command_id":2,")" +
                                      std::string(60000, 'k') + R"(":1})"),
                 R"(duplicate field "command_id")"));
  CHECK(decoders()[3].decode(plus(decoders()[3].head, std::string(60000, 'k'), "1")) == "");
  // A 64-character sensor id is the longest.
  CHECK(decoders()[2].decode(R"({"sensor_id":")" + std::string(64, 'a') +
                             R"(","interval_ms":1})") == "");
  CHECK(contains(
      decoders()[2].decode(R"({"sensor_id":")" + std::string(65, 'a') + R"(","interval_ms":1})"),
      "is invalid"));
}

TEST_CASE("durations: negative, huge, NaN-like and very long text") {
  const auto reason = [](const std::string& text) {
    std::chrono::milliseconds d{-7};
    const auto e = iot::parse_duration(text, d);
    CHECK(d == std::chrono::milliseconds{-7});
    check_reason(e);
    return e;
  };
  CHECK(reason("-1ms") == R"(duration "-1ms" is negative)");
  CHECK(reason("-0") == R"(duration "-0" is negative)");
  CHECK(reason("9223372036854775808ms") == R"(duration "9223372036854775808ms" is too large)");
  CHECK(reason("2562047788015216h") == R"(duration "2562047788015216h" is too large)");
  CHECK(contains(reason(std::string(100000, '9') + "s"), "is too large"));
  CHECK(contains(reason(std::string(100000, '9') + "s"), "...\" is too large"));
  for (const char* text : {"NaN", "nan", "inf", "Infinity", "1e3s", "0x10s", "+5s", "5 s", "s"}) {
    CAPTURE(text);
    CHECK((contains(reason(text), "is not a duration") || contains(reason(text), "unknown unit")));
  }
  CHECK(
      reason("5\xffs") ==
      R"(duration "5\xffs" is not a duration: use a number and a unit (ms, s, m, h, d), like 250ms, 5s, 1m30s or 30d)");
  CHECK(contains(reason(std::string("5\0s", 3)), R"(duration "5\x00s" is not a duration)"));
  CHECK(reason("") == "the duration is empty");
  // Long but valid: a fraction of a million digits, leading zeros.
  std::chrono::milliseconds d{};
  CHECK(iot::parse_duration("0." + std::string(1000000, '0') + "1s", d) == "");
  CHECK(d == 0ms);
  CHECK(iot::parse_duration(std::string(1000000, '0') + "1h", d) == "");
  CHECK(d == 1h);
  // The interval check, at and beyond both ends.
  for (auto bad :
       {0ms, -1ms, std::chrono::milliseconds::min(), 24h + 1ms, std::chrono::milliseconds::max()}) {
    CAPTURE(bad.count());
    const auto e = iot::interval_error(bad);
    check_reason(e);
    CHECK(e == std::to_string(bad.count()) + " ms is outside 1 ms - 24 h");
  }
}

TEST_CASE(".env files: huge lines, many errors, bytes that are not text") {
  std::vector<std::string> errors;
  auto values = iot::parse_dotenv("A=" + std::string(1 << 20, 'a'), errors);
  CHECK(errors.empty());
  CHECK(values["A"].size() == std::size_t{1} << 20);

  errors.clear();
  iot::parse_dotenv("B=\"" + std::string(1 << 20, 'b'), errors);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "line 1: unterminated double quote");

  errors.clear();
  iot::parse_dotenv(std::string(1 << 20, 'c'), errors);
  REQUIRE(errors.size() == 1);
  check_reason(errors[0]);
  CHECK(contains(errors[0], "line 1: expected NAME=VALUE, got \"ccc"));

  errors.clear();
  values = iot::parse_dotenv(repeat("=x\n", 100000), errors);
  CHECK(values.empty());
  REQUIRE(errors.size() == 100000);
  CHECK(
      errors.back() ==
      R"(line 100000: invalid variable name "": use letters, digits and _, not starting with a digit)");

  errors.clear();
  const char raw[] = "N\xff=1\nN\0=2\nOK=\xff\0";
  values = iot::parse_dotenv(std::string(raw, sizeof raw - 1), errors);
  REQUIRE(errors.size() == 2);
  CHECK(contains(errors[0], R"(line 1: invalid variable name "N\xff")"));
  CHECK(contains(errors[1], R"(line 2: invalid variable name "N\x00")"));
  // Values are bytes: kept as written.
  CHECK(values["OK"] == std::string("\xff\0", 2));
}
