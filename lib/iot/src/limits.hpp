// Limits shared by the codecs; the public ones are in iot/limits.hpp.
#pragma once

#include <cstddef>
#include <string>

#include "iot/limits.hpp"

namespace iot::detail {

using iot::max_measurement_value_bytes;
using iot::max_payload_bytes;
// Deeper JSON nesting (objects and arrays, the outer object counting as 1) is rejected.
inline constexpr std::size_t max_json_depth = 32;

// "<count> ms is outside 1 ms - 24 h": the one wording of the interval range.
inline std::string interval_range_reason(const std::string& count) {
  return count + " ms is outside 1 ms - 24 h";
}

}  // namespace iot::detail
