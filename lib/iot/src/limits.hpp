// Limits shared by the codecs (private to lib/iot).
#pragma once

#include <cstddef>
#include <string>

namespace iot::detail {

// Larger payloads are rejected before they are parsed.
inline constexpr std::size_t max_payload_bytes = 64 * 1024;
// Deeper JSON nesting (objects and arrays, the outer object counting as 1) is rejected.
inline constexpr std::size_t max_json_depth = 32;
// The longest new_measurement_value a command may carry.
inline constexpr std::size_t max_measurement_value_bytes = 4096;

// "<count> ms is outside 1 ms - 24 h": the one wording of the interval range.
inline std::string interval_range_reason(const std::string& count) {
  return count + " ms is outside 1 ms - 24 h";
}

}  // namespace iot::detail
