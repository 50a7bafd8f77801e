// Small text helpers (private to lib/iot).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace iot::detail {

// The length (1-4) of the well-formed UTF-8 sequence starting at s[i], or 0
// when the bytes there are not one (overlong forms, surrogates and code
// points above U+10FFFF are not well-formed).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept;

bool is_valid_utf8(std::string_view s) noexcept;

// `s` in double quotes for a one-line message: quotes and backslashes are
// escaped, control characters and bytes that are not UTF-8 are shown as \xNN,
// and text beyond `max_bytes` is cut (at a character boundary) and marked "...".
std::string quoted(std::string_view s, std::size_t max_bytes = 80);

// `s` without leading and trailing spaces, tabs, CR and LF.
std::string_view trim(std::string_view s) noexcept;

}  // namespace iot::detail
