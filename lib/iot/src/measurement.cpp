#include "iot/measurement.hpp"

#include <limits>

#include "json_fields.hpp"

namespace iot {

std::string encode(const measurement& m) {
  detail::json_writer w;
  w.integer("schema", m.schema)
      .uint("lecture_id", m.lecture_id)
      .string("sensor_id", m.sensor_id)
      .string("lecture", m.lecture)
      .uint("seq", m.seq)
      .time("timestamp", m.timestamp)
      .number("value", m.value)
      .string("unit", m.unit);
  if (m.revision > 1) w.uint("revision", m.revision);
  return w.finish();
}

namespace {

// `complete`: every field of schema 1 is required, none defaulted.
std::string decode(std::string_view json, bool complete, measurement& out) {
  using detail::presence;
  detail::json::object o;
  if (auto e = detail::parse_object(json, o); !e.empty()) return e;
  const auto schema_1 = complete ? presence::required : presence::optional;
  if (complete && !o.contains("schema")) return detail::field_error("schema", "missing");
  measurement m;
  std::uint64_t revision = 1;
  bool has_revision = false;
  for (auto e : {
           detail::read_schema(o, m.schema),
           detail::read_uint(o, "lecture_id", presence::required, m.lecture_id),
           detail::read_sensor_id(o, "sensor_id", presence::required, m.sensor_id),
           detail::read_string(o, "lecture", presence::required, m.lecture),
           detail::read_uint(o, "seq", schema_1, m.seq),
           detail::read_time(o, "timestamp", schema_1, m.timestamp),
           detail::read_number(o, "value", schema_1, m.value),
           detail::read_string(o, "unit", schema_1, m.unit),
           detail::read_uint(o, "revision", presence::optional, revision, &has_revision),
       })
    if (!e.empty()) return e;
  if (has_revision) {
    if (revision == 0) return detail::field_error("revision", "must be at least 1");
    if (revision > std::numeric_limits<std::uint32_t>::max())
      return detail::field_error("revision", std::to_string(revision) + " is too large");
    m.revision = static_cast<std::uint32_t>(revision);
  }
  out = std::move(m);
  return {};
}

}  // namespace

std::string decode_measurement(std::string_view json, measurement& out) {
  return decode(json, false, out);
}

std::string decode_complete_measurement(std::string_view json, measurement& out) {
  return decode(json, true, out);
}

std::string message_id(const measurement& m) {
  auto id = m.sensor_id + ':' + std::to_string(m.lecture_id);
  if (m.revision > 1) id += ':' + std::to_string(m.revision);
  return id;
}

}  // namespace iot
