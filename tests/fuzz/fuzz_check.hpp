// Shared by the fuzz targets. Each target file defines fuzz_one(), which runs
// one input through lib/iot and checks invariants; libfuzzer_main.cpp drives it
// from libFuzzer (tools/fuzz.sh), replay_main.cpp from the corpus replay test.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "iot/timestamp.hpp"

// Returns 0 (libFuzzer's convention); aborts when an invariant does not hold.
int fuzz_one(const std::uint8_t* data, std::size_t size);

// Aborts with the condition's text when it is false.
#define FUZZ_CHECK(cond) ((cond) ? void(0) : ::fuzz::fail(#cond, __FILE__, __LINE__))

namespace fuzz {

// The documented limits of the JSON decoders.
inline constexpr std::size_t max_payload_bytes = 64 * 1024;
inline constexpr std::size_t max_measurement_value_bytes = 4096;

[[noreturn]] inline void fail(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: invariant violated: %s\n", file, line, what);
  std::abort();
}

inline std::string_view text_of(const std::uint8_t* data, std::size_t size) {
  return size == 0 ? std::string_view{}
                   : std::string_view(reinterpret_cast<const char*>(data), size);
}

// Well-formed UTF-8 (RFC 3629), decoded code point by code point: written
// apart from lib/iot's check so that one does not vouch for the other.
inline bool valid_utf8(std::string_view s) {
  static constexpr std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b & 0xE0) == 0xC0) {
      n = 2, cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      n = 3, cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      n = 4, cp = b & 0x07;
    } else {
      return false;
    }
    if (s.size() - i < n) return false;
    for (std::size_t k = 1; k < n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < smallest[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

// A reason as the decoders promise it: not empty, one line.
inline bool is_reason(const std::string& e) {
  return !e.empty() && e.find_first_of("\r\n") == std::string::npos;
}

// A time stamp as it reads back after encoding: to the millisecond.
inline iot::clock::time_point to_ms(iot::clock::time_point t) {
  return std::chrono::floor<std::chrono::milliseconds>(t);
}

}  // namespace fuzz
