// The API's JSON: sensors, configs, measurements and commands as every
// route and event shows them (see openapi.json).
#pragma once

#include <boost/json/object.hpp>

#include "command_tracker.hpp"
#include "iot/measurement.hpp"
#include "iot/sensor_config.hpp"
#include "sensor_registry.hpp"

namespace server {

// {"sensor_id", "interval" ("250ms"), "interval_ms", "updated_at",
//  "last_command_id" (null when none)}
boost::json::object config_json(const iot::sensor_config& c);
// A measurement as the history's rows show it: {"sensor_id", "lecture_id",
// "revision", "seq", "timestamp", "value", "lecture", "unit", "stream_seq"}.
boost::json::object measurement_json(const iot::measurement& m, std::uint64_t stream_sequence);
// {"id", "status", "config" (null when unreadable), "config_error"?,
//  "last_measurement" (null when none), "last_seen" (null when none)}
boost::json::object sensor_json(const sensor_view& v, iot::clock::time_point now);

// {"command_uuid", "sensor_id", "kind" (null when sent elsewhere), "status",
//  "error"?, "config"?, "stream_sequence", "sent_at", "answered_at" (null when unknown)}
boost::json::object command_json(const command_record& r);

}  // namespace server
