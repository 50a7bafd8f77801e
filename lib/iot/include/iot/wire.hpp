// Stream, subject and bucket names of the wire contract; each can be renamed
// through settings (see settings.hpp).
#pragma once

#include <string>
#include <string_view>

namespace iot {

struct wire_names {
  std::string measurements_stream = "MEASUREMENTS_STREAM";
  std::string measurements_subject = "sensor.measurements";
  std::string commands_stream = "SENSOR_STREAM";
  std::string commands_subject = "sensor.commands";
  std::string config_bucket = "SENSOR_CONFIG";
  std::string deadletter_stream = "DEADLETTER";
  std::string deadletter_subject = "sensor.deadletter";
  std::string events_subject = "sensor.events";
  // iot-server's history service: requests on "<history_subject>.<endpoint>".
  std::string history_subject = "sensor.history";

  std::string measurements_of(std::string_view sensor) const;  // "<subject>.<sensor>"
  std::string commands_of(std::string_view sensor) const;
  std::string deadletter_of(std::string_view sensor) const;
  std::string events_of(std::string_view sensor) const;
  static std::string config_key(std::string_view sensor);  // "<sensor>.config"
  // The durable consumer through which the sensor receives its commands:
  // "cmd-<sensor>"; for a fleet member ("<fleet>.<member>", sensor_id.hpp)
  // "fleet-<fleet>", which the fleet's process shares.
  static std::string command_consumer(std::string_view sensor);
  // That consumer's filter: commands_of(sensor), or "<commands subject>.<fleet>.*".
  std::string command_filter(std::string_view sensor) const;
  // Everything the sensor receives lives under its own inbox prefix, so that
  // server permissions can keep other sensors from subscribing there. A
  // fleet member's is its fleet's: "_INBOX.<sensor or fleet>".
  static std::string inbox_prefix(std::string_view sensor);
  // Where the command consumer pushes: stable, under the inbox prefix, and
  // outside the "<prefix>.<unique>.*" reply subjects.
  static std::string command_deliver_subject(std::string_view sensor);  // "<inbox>.commands"
};

}  // namespace iot
