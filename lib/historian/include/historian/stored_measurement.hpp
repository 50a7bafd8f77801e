// One row of the `measurements` table: a measurement as the stream held it.
#pragma once

#include <cstdint>
#include <string>

#include "iot/timestamp.hpp"

namespace historian {

struct stored_measurement {
  std::string sensor_id;
  std::uint64_t lecture_id = 0;
  std::uint32_t revision = 1;
  std::uint64_t seq = 0;
  iot::clock::time_point ts;  // the measurement's own timestamp (millisecond precision)
  double value = 0;
  std::string lecture;
  std::string unit;
  std::uint64_t stream_seq = 0;  // its sequence in the measurements stream

  bool operator==(const stored_measurement&) const = default;
};

}  // namespace historian
