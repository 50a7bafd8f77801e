// The command message sent to a sensor (wire contract, schema 1).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "iot/timestamp.hpp"

namespace iot {

enum class command_kind : int { update_config = 1, edit_measurement = 2 };

struct command {
  command_kind kind = command_kind::update_config;  // "command_id" on the wire
  std::uint64_t metric_id = 0;                      // edit_measurement: the lecture_id
  std::string new_measurement_value;                // edit_measurement
  std::chrono::milliseconds new_interval{0};        // update_config: "new_interval_milliseconds"
  int schema = 1;
  std::string command_uuid;  // empty in original payloads
  std::optional<clock::time_point> issued_at;

  bool operator==(const command&) const = default;
};

std::string encode(const command& c);

// Strict decoding. Rejected (reason returned): not a JSON object, wrong
// types, an unknown command_id, an unsupported schema, a missing field for
// the kind (metric_id and new_measurement_value for edit_measurement,
// new_interval_milliseconds for update_config), an interval outside
// 1 ms - 24 h, a malformed issued_at. Original payloads without schema,
// command_uuid and issued_at decode (schema 1). Returns "" on success.
std::string decode_command(std::string_view json, command& out);

// A fresh random UUID (version 4), for command_uuid.
std::string new_uuid();

}  // namespace iot
