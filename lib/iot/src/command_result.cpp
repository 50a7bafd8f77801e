#include "iot/command_result.hpp"

#include "json_fields.hpp"

namespace iot {

std::string encode(const command_result& r) {
  detail::json_writer w;
  w.string("command_uuid", r.command_uuid)
      .string("sensor_id", r.sensor_id)
      .string("status", r.applied ? "applied" : "rejected");
  if (!r.applied) w.string("error", r.error);
  if (r.config) w.raw("config", encode(*r.config));
  return w.finish();
}

std::string decode_command_result(std::string_view json, command_result& out) {
  using detail::presence;
  detail::json::object o;
  if (auto e = detail::parse_object(json, o); !e.empty()) return e;
  command_result r;
  std::string status, error;
  for (auto e : {
           detail::read_string(o, "command_uuid", presence::optional, r.command_uuid),
           detail::read_sensor_id(o, "sensor_id", presence::required, r.sensor_id),
           detail::read_string(o, "status", presence::required, status),
           detail::read_string(o, "error", presence::optional, error),
       })
    if (!e.empty()) return e;
  if (status == "applied")
    r.applied = true;
  else if (status == "rejected")
    r.error = std::move(error);  // an error beside "applied" is ignored
  else
    return detail::field_error("status", "must be \"applied\" or \"rejected\"");
  const detail::json::object* config = nullptr;
  if (auto e = detail::read_object(o, "config", presence::optional, config); !e.empty()) return e;
  if (config) {
    sensor_config c;
    if (auto e = detail::decode_sensor_config(*config, c); !e.empty())
      return detail::field_error("config", e);
    r.config = std::move(c);
  }
  out = std::move(r);
  return {};
}

}  // namespace iot
