// Strict, typed reading and compact writing of the flat JSON objects of the
// wire contract (private to lib/iot).
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "iot/timestamp.hpp"
#include "limits.hpp"

namespace iot {
struct sensor_config;
}

namespace iot::detail {

namespace json = boost::json;

// Parses `text` (at most max_payload_bytes, nesting at most max_json_depth)
// into a JSON object. Numbers with a fraction or an exponent are converted
// with correct rounding, so that a double written by json_writer reads back
// unchanged. The whole text must be UTF-8, ignored fields and field names
// included; the reason names the top-level field holding the invalid bytes.
// Returns "" or a one-line reason.
std::string parse_object(std::string_view text, json::object& out);

// `field "name": reason`
std::string field_error(std::string_view name, std::string_view reason);

enum class presence { required, optional };

// Each reader returns "" when the field is present with the right type (and
// then sets `out` and `*found`), or absent and optional (then `out` is left
// alone and `*found` is false); otherwise a reason naming the field.
std::string read_uint(const json::object& o, std::string_view name, presence p, std::uint64_t& out,
                      bool* found = nullptr);
// Any JSON number.
std::string read_number(const json::object& o, std::string_view name, presence p, double& out,
                        bool* found = nullptr);
// A string of well-formed UTF-8, at most `max_bytes` long.
std::string read_string(const json::object& o, std::string_view name, presence p, std::string& out,
                        std::size_t max_bytes = max_payload_bytes, bool* found = nullptr);
// A string holding a valid sensor id.
std::string read_sensor_id(const json::object& o, std::string_view name, presence p,
                           std::string& out);
// A string holding an RFC 3339 time stamp.
std::string read_time(const json::object& o, std::string_view name, presence p,
                      clock::time_point& out, bool* found = nullptr);
// A nested object: `out` points into `o`, or is nullptr when absent.
std::string read_object(const json::object& o, std::string_view name, presence p,
                        const json::object*& out);
// "schema": optional, and 1 when present.
std::string read_schema(const json::object& o, int& out);
// An unsigned integer count of milliseconds within [min_interval, max_interval].
std::string read_interval_ms(const json::object& o, std::string_view name, presence p,
                             std::chrono::milliseconds& out);

// The sensor_config decoder on an already parsed object (nested in command_result).
std::string decode_sensor_config(const json::object& o, sensor_config& out);

// Writes one compact JSON object, fields in the order they are added.
class json_writer {
 public:
  json_writer() : text_("{") {}
  json_writer& string(std::string_view name, std::string_view value);
  json_writer& uint(std::string_view name, std::uint64_t value);
  json_writer& integer(std::string_view name, std::int64_t value);
  // Shortest text that reads back as the same double (a negative zero too); a
  // non-finite value (not representable in JSON) leaves the field out.
  json_writer& number(std::string_view name, double value);
  json_writer& time(std::string_view name, clock::time_point value);
  // `json` must be a complete JSON value.
  json_writer& raw(std::string_view name, std::string_view json);
  std::string finish();

 private:
  void key(std::string_view name);
  void string_value(std::string_view s);
  std::string text_;
};

}  // namespace iot::detail
