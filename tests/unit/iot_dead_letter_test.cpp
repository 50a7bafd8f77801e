#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "iot/dead_letter.hpp"

namespace {

boost::json::object encoded(const std::string& payload) {
  iot::dead_letter d;
  d.sensor_id = "s1";
  d.subject = "sensor.commands.s1";
  d.stream_sequence = 7;
  d.reason = "not JSON";
  d.payload = payload;
  d.received_at = iot::clock::time_point(std::chrono::milliseconds(1700000000123));
  return boost::json::parse(iot::encode(d)).as_object();  // throws if not valid JSON
}

}  // namespace

TEST_CASE("a dead letter keeps a UTF-8 payload as text, with where and why") {
  auto o = encoded(R"({"command_id": 9})");
  CHECK(o.at("payload").as_string() == R"({"command_id": 9})");
  CHECK(o.at("payload_bytes").to_number<std::uint64_t>() == 17);
  CHECK(o.at("stream_sequence").to_number<std::uint64_t>() == 7);
  CHECK(o.at("reason").as_string() == "not JSON");
  CHECK(o.at("received_at").as_string() == "2023-11-14T22:13:20.123Z");
  CHECK(!o.contains("truncated"));
  CHECK(!o.contains("payload_base64"));
}

TEST_CASE("a payload that is not UTF-8 is kept as base64, so the record stays valid JSON") {
  auto o = encoded(std::string("\xff\xfe\x00z", 4));
  CHECK(!o.contains("payload"));
  CHECK(o.at("payload_base64").as_string() == "//4Aeg==");
  CHECK(encoded("\xc3").at("payload_base64").as_string() == "ww==");
  CHECK(encoded(std::string("\x80\x81\x82", 3)).at("payload_base64").as_string() == "gIGC");
}

TEST_CASE("a huge payload is cut to the limit, at a character boundary, and marked") {
  std::string big(iot::dead_letter_payload_limit - 1, 'a');
  big += "\xc3\xa9";  // a two-byte character straddling the limit
  big += std::string(100000, 'b');
  auto o = encoded(big);
  CHECK(o.at("truncated").as_bool());
  CHECK(o.at("payload_bytes").to_number<std::uint64_t>() == big.size());
  CHECK(o.at("payload").as_string().size() == iot::dead_letter_payload_limit - 1);
  auto binary = encoded(std::string(200000, '\xff'));
  CHECK(binary.at("truncated").as_bool());
  CHECK(binary.at("payload_base64").as_string().size() ==
        (iot::dead_letter_payload_limit + 2) / 3 * 4);
}
