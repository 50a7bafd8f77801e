// Fuzz target: the command decoder, and the decoder of the result a sensor
// answers with. Whatever decodes is within the documented limits, and
// re-encodes to a payload that decodes to the same value.
#include <string>

#include "fuzz_check.hpp"
#include "iot/command.hpp"
#include "iot/command_result.hpp"
#include "iot/duration.hpp"
#include "iot/sensor_id.hpp"

using namespace std::chrono_literals;

namespace {

// Values no decode produces, to see that a rejected payload leaves `out` alone.
iot::command command_marker() {
  iot::command c;
  c.kind = iot::command_kind::edit_measurement;
  c.metric_id = 0xfeed;
  c.new_measurement_value = "\xff marker";
  c.new_interval = -7ms;
  c.schema = 7;
  return c;
}

iot::command_result result_marker() {
  iot::command_result r;
  r.sensor_id = "\xff marker";
  r.error = "marker";
  return r;
}

void check_config(const iot::sensor_config& c) {
  FUZZ_CHECK(c.schema == 1);
  FUZZ_CHECK(iot::is_valid_sensor_id(c.sensor_id));
  FUZZ_CHECK(iot::interval_error(c.interval).empty());
  FUZZ_CHECK(c.interval >= iot::min_interval && c.interval <= iot::max_interval);
  FUZZ_CHECK(fuzz::valid_utf8(c.last_command_id));
}

void check_command(std::string_view in) {
  auto c = command_marker();
  const auto e = iot::decode_command(in, c);
  if (!e.empty()) {
    FUZZ_CHECK(fuzz::is_reason(e));
    FUZZ_CHECK(c == command_marker());
    return;
  }
  FUZZ_CHECK(in.size() <= fuzz::max_payload_bytes);
  FUZZ_CHECK(fuzz::valid_utf8(in));
  FUZZ_CHECK(c.schema == 1);
  FUZZ_CHECK(fuzz::valid_utf8(c.command_uuid));
  if (c.kind == iot::command_kind::update_config) {
    FUZZ_CHECK(iot::interval_error(c.new_interval).empty());
    FUZZ_CHECK(c.new_interval >= iot::min_interval && c.new_interval <= iot::max_interval);
    FUZZ_CHECK(c.metric_id == 0 && c.new_measurement_value.empty());  // the other kind's fields
  } else {
    FUZZ_CHECK(c.kind == iot::command_kind::edit_measurement);
    FUZZ_CHECK(c.new_interval == 0ms);
    FUZZ_CHECK(c.new_measurement_value.size() <= fuzz::max_measurement_value_bytes);
    FUZZ_CHECK(fuzz::valid_utf8(c.new_measurement_value));
  }

  const auto text = iot::encode(c);
  // Encoding adds the default fields: a payload near the limit may not fit again.
  if (text.size() > fuzz::max_payload_bytes) return;
  auto expected = c;
  if (expected.issued_at) expected.issued_at = fuzz::to_ms(*expected.issued_at);
  iot::command back;
  FUZZ_CHECK(iot::decode_command(text, back).empty());
  FUZZ_CHECK(back == expected);
  FUZZ_CHECK(iot::encode(back) == text);
}

void check_result(std::string_view in) {
  auto r = result_marker();
  const auto e = iot::decode_command_result(in, r);
  if (!e.empty()) {
    FUZZ_CHECK(fuzz::is_reason(e));
    FUZZ_CHECK(r == result_marker());
    return;
  }
  FUZZ_CHECK(in.size() <= fuzz::max_payload_bytes);
  FUZZ_CHECK(fuzz::valid_utf8(in));
  FUZZ_CHECK(iot::is_valid_sensor_id(r.sensor_id));
  FUZZ_CHECK(fuzz::valid_utf8(r.command_uuid));
  FUZZ_CHECK(fuzz::valid_utf8(r.error));
  if (r.applied) FUZZ_CHECK(r.error.empty());
  if (r.config) check_config(*r.config);

  const auto text = iot::encode(r);
  if (text.size() > fuzz::max_payload_bytes) return;
  auto expected = r;
  if (expected.config) expected.config->updated_at = fuzz::to_ms(expected.config->updated_at);
  iot::command_result back;
  FUZZ_CHECK(iot::decode_command_result(text, back).empty());
  FUZZ_CHECK(back == expected);
  FUZZ_CHECK(iot::encode(back) == text);
}

}  // namespace

int fuzz_one(const std::uint8_t* data, std::size_t size) {
  const auto in = fuzz::text_of(data, size);
  check_command(in);
  check_result(in);
  return 0;
}
