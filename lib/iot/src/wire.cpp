#include "iot/wire.hpp"

#include "iot/sensor_id.hpp"

namespace iot {
namespace {

std::string join(const std::string& subject, std::string_view sensor) {
  std::string out;
  out.reserve(subject.size() + 1 + sensor.size());
  out += subject;
  out += '.';
  out += sensor;
  return out;
}

}  // namespace

std::string wire_names::measurements_of(std::string_view sensor) const {
  return join(measurements_subject, sensor);
}

std::string wire_names::commands_of(std::string_view sensor) const {
  return join(commands_subject, sensor);
}

std::string wire_names::deadletter_of(std::string_view sensor) const {
  return join(deadletter_subject, sensor);
}

std::string wire_names::events_of(std::string_view sensor) const {
  return join(events_subject, sensor);
}

std::string wire_names::config_key(std::string_view sensor) {
  std::string out(sensor);
  out += ".config";
  return out;
}

std::string wire_names::command_consumer(std::string_view sensor) {
  const auto fleet = fleet_of(sensor);
  std::string out = fleet.empty() ? "cmd-" : "fleet-";
  out += fleet.empty() ? sensor : fleet;
  return out;
}

std::string wire_names::command_filter(std::string_view sensor) const {
  const auto fleet = fleet_of(sensor);
  if (fleet.empty()) return commands_of(sensor);
  return join(commands_subject, fleet) + ".*";
}

std::string wire_names::inbox_prefix(std::string_view sensor) {
  const auto fleet = fleet_of(sensor);
  std::string out = "_INBOX.";
  out += fleet.empty() ? sensor : fleet;
  return out;
}

std::string wire_names::command_deliver_subject(std::string_view sensor) {
  return inbox_prefix(sensor) + ".commands";
}

}  // namespace iot
