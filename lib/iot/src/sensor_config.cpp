#include "iot/sensor_config.hpp"

#include "json_fields.hpp"

namespace iot {

std::string encode(const sensor_config& c) {
  return detail::json_writer()
      .integer("schema", c.schema)
      .string("sensor_id", c.sensor_id)
      .integer("interval_ms", c.interval.count())
      .time("updated_at", c.updated_at)
      .string("last_command_id", c.last_command_id)
      .finish();
}

namespace detail {

std::string decode_sensor_config(const json::object& o, sensor_config& out) {
  sensor_config c;
  for (auto e : {
           read_schema(o, c.schema),
           read_sensor_id(o, "sensor_id", presence::required, c.sensor_id),
           read_interval_ms(o, "interval_ms", presence::required, c.interval),
           read_time(o, "updated_at", presence::optional, c.updated_at),
           read_string(o, "last_command_id", presence::optional, c.last_command_id),
       })
    if (!e.empty()) return e;
  out = std::move(c);
  return {};
}

}  // namespace detail

std::string decode_sensor_config(std::string_view json, sensor_config& out) {
  detail::json::object o;
  if (auto e = detail::parse_object(json, o); !e.empty()) return e;
  return detail::decode_sensor_config(o, out);
}

}  // namespace iot
