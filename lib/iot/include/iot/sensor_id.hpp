// Sensor identifiers: 1-64 characters of [A-Za-z0-9_-], one subject token;
// or a fleet member's "<fleet>.<member>", two such tokens (64 characters in
// all), so that one consumer can take a whole fleet's commands
// ("<commands subject>.<fleet>.*").
#pragma once

#include <string>
#include <string_view>

namespace iot {

// Empty when `id` is valid, else a one-line reason naming the id.
std::string sensor_id_error(std::string_view id);
inline bool is_valid_sensor_id(std::string_view id) { return sensor_id_error(id).empty(); }

// The fleet a valid member id belongs to ("plant" for "plant.7"); empty for
// a sensor of its own.
std::string_view fleet_of(std::string_view id);

// The order in which people read sensor ids: a fleet's members by their
// numbers ("plant.2" before "plant.10"), all else as text. A strict weak
// order on any strings, for std::sort.
bool sensor_id_less(std::string_view a, std::string_view b);

}  // namespace iot
