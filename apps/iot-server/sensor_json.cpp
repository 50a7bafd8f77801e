#include "sensor_json.hpp"

#include "iot/duration.hpp"

namespace server {

boost::json::object config_json(const iot::sensor_config& c) {
  boost::json::object o;
  o["sensor_id"] = c.sensor_id;
  o["interval"] = iot::format_duration(c.interval);
  o["interval_ms"] = c.interval.count();
  o["updated_at"] = iot::format_rfc3339(c.updated_at);
  if (c.last_command_id.empty())
    o["last_command_id"] = nullptr;
  else
    o["last_command_id"] = c.last_command_id;
  return o;
}

boost::json::object sensor_json(const sensor_view& v, iot::clock::time_point now) {
  boost::json::object o;
  o["id"] = v.id;
  o["status"] = to_string(status_of(v, now));
  if (v.config)
    o["config"] = config_json(*v.config);
  else
    o["config"] = nullptr;
  if (!v.config_error.empty()) o["config_error"] = v.config_error;
  if (v.last) {
    const auto& m = *v.last;
    o["last_measurement"] = {{"lecture_id", m.lecture_id},
                             {"revision", m.revision},
                             {"seq", m.seq},
                             {"timestamp", iot::format_rfc3339(m.timestamp)},
                             {"value", m.value},
                             {"unit", m.unit},
                             {"lecture", m.lecture},
                             {"stream_sequence", v.last_stream_sequence}};
    o["last_seen"] = iot::format_rfc3339(m.timestamp);
  } else {
    o["last_measurement"] = nullptr;
    o["last_seen"] = nullptr;
  }
  return o;
}

}  // namespace server
