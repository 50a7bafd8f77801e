// Fuzz target: the measurement decoder. Whatever decodes is within the
// documented limits, and re-encodes to a payload that decodes to the same
// measurement (the value bit for bit, the time stamp to the millisecond).
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "fuzz_check.hpp"
#include "iot/measurement.hpp"
#include "iot/sensor_id.hpp"

namespace {

iot::measurement marker() {
  iot::measurement m;
  m.lecture_id = 0xfeed;
  m.sensor_id = "\xff marker";
  m.schema = 7;
  m.value = -1.5;
  m.revision = 0;
  return m;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

}  // namespace

int fuzz_one(const std::uint8_t* data, std::size_t size) {
  const auto in = fuzz::text_of(data, size);
  auto m = marker();
  const auto e = iot::decode_measurement(in, m);
  if (!e.empty()) {
    FUZZ_CHECK(fuzz::is_reason(e));
    FUZZ_CHECK(m == marker());
    FUZZ_CHECK(same_bits(m.value, marker().value));
    return 0;
  }
  FUZZ_CHECK(in.size() <= fuzz::max_payload_bytes);
  FUZZ_CHECK(fuzz::valid_utf8(in));
  FUZZ_CHECK(m.schema == 1);
  FUZZ_CHECK(iot::is_valid_sensor_id(m.sensor_id));
  FUZZ_CHECK(fuzz::valid_utf8(m.lecture));
  FUZZ_CHECK(fuzz::valid_utf8(m.unit));
  FUZZ_CHECK(std::isfinite(m.value));
  FUZZ_CHECK(m.revision >= 1);

  auto id = m.sensor_id + ':' + std::to_string(m.lecture_id);
  if (m.revision > 1) id += ':' + std::to_string(m.revision);
  FUZZ_CHECK(iot::message_id(m) == id);

  const auto text = iot::encode(m);
  if (text.size() > fuzz::max_payload_bytes) return 0;  // the default fields added may not fit
  auto expected = m;
  expected.timestamp = fuzz::to_ms(expected.timestamp);
  iot::measurement back;
  FUZZ_CHECK(iot::decode_measurement(text, back).empty());
  FUZZ_CHECK(back == expected);
  FUZZ_CHECK(same_bits(back.value, m.value));
  FUZZ_CHECK(iot::encode(back) == text);
  return 0;
}
