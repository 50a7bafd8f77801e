// A sensor's current configuration, stored as JSON under "<sensor>.config".
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "iot/timestamp.hpp"

namespace iot {

struct sensor_config {
  int schema = 1;
  std::string sensor_id;
  std::chrono::milliseconds interval{10000};  // "interval_ms"
  clock::time_point updated_at;
  std::string last_command_id;  // command_uuid of the last applied command

  bool operator==(const sensor_config&) const = default;
};

std::string encode(const sensor_config& c);
std::string decode_sensor_config(std::string_view json, sensor_config& out);  // "" or reason

}  // namespace iot
