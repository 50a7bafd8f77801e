// Human durations for the command line: "5" (seconds), "5s", "250ms", "1m", "2h", "30d", "1.5s".
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace iot {

// Parses `text` into `out` (rounded to whole milliseconds). Returns an empty
// string on success, else a one-line reason. Rejects negatives, empty text,
// unknown units and values that overflow.
std::string parse_duration(std::string_view text, std::chrono::milliseconds& out);

// The measurement interval range every program enforces: 1 ms .. 24 h.
inline constexpr std::chrono::milliseconds min_interval{1};
inline constexpr std::chrono::milliseconds max_interval{24 * 60 * 60 * 1000};
// Empty when `d` is within [min_interval, max_interval], else a reason.
std::string interval_error(std::chrono::milliseconds d);

// "250ms", "5s", "1m30s", "2h"
std::string format_duration(std::chrono::milliseconds d);

}  // namespace iot
