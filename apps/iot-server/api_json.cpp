#include "api_json.hpp"

#include "historian/export.hpp"
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

boost::json::object measurement_json(const iot::measurement& m, std::uint64_t stream_sequence) {
  // The history's row, so that a measurement reads the same everywhere.
  return historian::to_json(historian::stored_measurement{.sensor_id = m.sensor_id,
                                                          .lecture_id = m.lecture_id,
                                                          .revision = m.revision,
                                                          .seq = m.seq,
                                                          .ts = m.timestamp,
                                                          .value = m.value,
                                                          .lecture = m.lecture,
                                                          .unit = m.unit,
                                                          .stream_seq = stream_sequence});
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
    o["last_measurement"] = measurement_json(m, v.last_stream_sequence);
    o["last_seen"] = iot::format_rfc3339(m.timestamp);
  } else {
    o["last_measurement"] = nullptr;
    o["last_seen"] = nullptr;
  }
  return o;
}

boost::json::object command_json(const command_record& r) {
  boost::json::object o;
  o["command_uuid"] = r.command_uuid;
  o["sensor_id"] = r.sensor_id;
  if (r.kind.empty())
    o["kind"] = nullptr;
  else
    o["kind"] = r.kind;
  o["status"] = to_string(r.state);
  if (!r.error.empty()) o["error"] = r.error;
  if (r.config) o["config"] = config_json(*r.config);
  if (r.stream_sequence)
    o["stream_sequence"] = r.stream_sequence;
  else
    o["stream_sequence"] = nullptr;
  if (r.sent_at)
    o["sent_at"] = iot::format_rfc3339(*r.sent_at);
  else
    o["sent_at"] = nullptr;
  if (r.answered_at)
    o["answered_at"] = iot::format_rfc3339(*r.answered_at);
  else
    o["answered_at"] = nullptr;
  return o;
}

}  // namespace server
