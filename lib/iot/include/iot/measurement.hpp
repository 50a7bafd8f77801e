// The measurement message a sensor publishes (wire contract, schema 1).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "iot/timestamp.hpp"

namespace iot {

struct measurement {
  std::uint64_t lecture_id = 0;  // unique per sensor
  std::string sensor_id;
  std::string lecture;  // the reading as text (the original field)
  int schema = 1;
  std::uint64_t seq = 0;  // 1, 2, 3... per sensor process
  clock::time_point timestamp;
  double value = 0;
  std::string unit;
  std::uint32_t revision = 1;  // > 1 for a correction of the same lecture_id

  bool operator==(const measurement&) const = default;
};

std::string encode(const measurement& m);
// Strict: every field of the right type; `revision` optional (1). The
// original payloads ({lecture_id, sensor_id, lecture}) decode with the
// other fields defaulted. Returns "" or a one-line reason.
std::string decode_measurement(std::string_view json, measurement& out);
// Schema 1 in full: like decode_measurement, but `schema`, `seq`,
// `timestamp`, `value` and `unit` are required too, so that nothing is
// defaulted (an original payload is refused, naming the first missing field).
std::string decode_complete_measurement(std::string_view json, measurement& out);

// Nats-Msg-Id: "<sensor>:<lecture_id>", or "<sensor>:<lecture_id>:<revision>" for corrections.
std::string message_id(const measurement& m);

}  // namespace iot
