// Limits of the wire contract that the programs check too (before sending).
#pragma once

#include <cstddef>

namespace iot {

// Larger payloads are rejected before they are parsed.
inline constexpr std::size_t max_payload_bytes = 64 * 1024;
// The longest new_measurement_value a command may carry.
inline constexpr std::size_t max_measurement_value_bytes = 4096;

}  // namespace iot
