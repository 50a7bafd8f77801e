// Sensor identifiers: 1-64 characters of [A-Za-z0-9_-].
#pragma once

#include <string>
#include <string_view>

namespace iot {

// Empty when `id` is valid, else a one-line reason naming the id.
std::string sensor_id_error(std::string_view id);
inline bool is_valid_sensor_id(std::string_view id) { return sensor_id_error(id).empty(); }

}  // namespace iot
