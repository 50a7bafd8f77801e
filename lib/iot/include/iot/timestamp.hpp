// RFC 3339 UTC timestamps with millisecond precision ("2024-05-01T12:00:00.123Z").
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace iot {

using clock = std::chrono::system_clock;

std::string format_rfc3339(clock::time_point t);
// Accepts "Z" or a numeric offset and 0-9 fractional digits; nullopt if malformed.
std::optional<clock::time_point> parse_rfc3339(std::string_view text);

}  // namespace iot
