// What a sensor reports after each command, on "sensor.events.<sensor>".
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "iot/sensor_config.hpp"

namespace iot {

struct command_result {
  std::string command_uuid;
  std::string sensor_id;
  bool applied = false;                 // "status": "applied" | "rejected"
  std::string error;                    // set when rejected
  std::optional<sensor_config> config;  // the config after an applied update

  bool operator==(const command_result&) const = default;
};

std::string encode(const command_result& r);
std::string decode_command_result(std::string_view json, command_result& out);  // "" or reason

}  // namespace iot
