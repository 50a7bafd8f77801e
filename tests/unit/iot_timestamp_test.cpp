#include <doctest/doctest.h>

#include "iot/timestamp.hpp"

using namespace std::chrono;
using iot::format_rfc3339;
using iot::parse_rfc3339;

namespace {

// 2024-05-01T12:00:00Z
const iot::clock::time_point noon = sys_days{year{2024} / May / 1} + 12h;

}  // namespace

TEST_CASE("format_rfc3339: UTC with exactly three fractional digits") {
  CHECK(format_rfc3339(noon + 123ms) == "2024-05-01T12:00:00.123Z");
  CHECK(format_rfc3339(noon) == "2024-05-01T12:00:00.000Z");
  CHECK(format_rfc3339(iot::clock::time_point{}) == "1970-01-01T00:00:00.000Z");
  CHECK(format_rfc3339(noon + 123ms + 999us) == "2024-05-01T12:00:00.123Z");  // truncated
  CHECK(format_rfc3339(iot::clock::time_point{} - 1ms) == "1969-12-31T23:59:59.999Z");
  CHECK(format_rfc3339(sys_days{year{2024} / February / 29} + 23h + 59min + 59s + 7ms) ==
        "2024-02-29T23:59:59.007Z");
}

TEST_CASE("parse_rfc3339 reads what format_rfc3339 writes") {
  CHECK(parse_rfc3339("2024-05-01T12:00:00.123Z") == noon + 123ms);
  for (auto t :
       {noon, noon + 1ms, noon - 999ms, iot::clock::time_point{}, iot::clock::time_point{} - 1ms}) {
    CHECK(parse_rfc3339(format_rfc3339(t)) == t);
  }
}

TEST_CASE("parse_rfc3339: 0-9 fractional digits") {
  CHECK(parse_rfc3339("2024-05-01T12:00:00Z") == noon);
  CHECK(parse_rfc3339("2024-05-01T12:00:00.1Z") == noon + 100ms);
  CHECK(parse_rfc3339("2024-05-01T12:00:00.123456Z") == noon + 123456us);
  CHECK(parse_rfc3339("2024-05-01T12:00:00.123456789Z") == noon + 123456789ns);
  CHECK(!parse_rfc3339("2024-05-01T12:00:00.1234567891Z"));  // 10 digits
  CHECK(!parse_rfc3339("2024-05-01T12:00:00.Z"));            // a dot without digits
}

TEST_CASE("parse_rfc3339: Z or a numeric offset, lowercase t and z") {
  CHECK(parse_rfc3339("2024-05-01T14:00:00+02:00") == noon);
  CHECK(parse_rfc3339("2024-05-01T06:30:00-05:30") == noon);
  CHECK(parse_rfc3339("2024-05-01T12:00:00.5+00:00") == noon + 500ms);
  CHECK(parse_rfc3339("2024-05-01T12:00:00-00:00") == noon);
  CHECK(parse_rfc3339("2024-05-02T00:30:00+12:30") == noon);  // the day before in UTC
  CHECK(parse_rfc3339("2024-05-01t12:00:00z") == noon);
  CHECK(parse_rfc3339("2024-05-01t12:00:00.123z") == noon + 123ms);
}

TEST_CASE("parse_rfc3339 checks the calendar") {
  CHECK(parse_rfc3339("2024-02-29T00:00:00Z"));  // leap year
  CHECK(!parse_rfc3339("2023-02-29T00:00:00Z"));
  CHECK(!parse_rfc3339("2024-13-01T00:00:00Z"));
  CHECK(!parse_rfc3339("2024-00-01T00:00:00Z"));
  CHECK(!parse_rfc3339("2024-04-31T00:00:00Z"));
  CHECK(!parse_rfc3339("2024-05-00T00:00:00Z"));
  CHECK(!parse_rfc3339("2024-05-01T24:00:00Z"));
  CHECK(!parse_rfc3339("2024-05-01T12:60:00Z"));
  CHECK(!parse_rfc3339("2024-05-01T12:00:60Z"));  // leap seconds are not accepted
  CHECK(!parse_rfc3339("2024-05-01T12:00:00+24:00"));
  CHECK(!parse_rfc3339("2024-05-01T12:00:00+02:60"));
}

TEST_CASE("parse_rfc3339 rejects malformed text") {
  CHECK(!parse_rfc3339(""));
  CHECK(!parse_rfc3339("2024-05-01T12:00:00"));  // no zone
  CHECK(!parse_rfc3339("2024-05-01T12:00:00.123"));
  CHECK(!parse_rfc3339("2024-05-01"));
  CHECK(!parse_rfc3339("2024-05-01 12:00:00Z"));  // space separator
  CHECK(!parse_rfc3339("2024-5-01T12:00:00Z"));
  CHECK(!parse_rfc3339("2024-05-01T12:00Z"));
  CHECK(!parse_rfc3339("2024-05-01T12:00:00+0200"));
  CHECK(!parse_rfc3339("2024-05-01T12:00:00+02"));
  CHECK(!parse_rfc3339("2024-05-01T12:00:00UTC"));
  CHECK(!parse_rfc3339("2024-05-01T12:00:00ZZ"));
  CHECK(!parse_rfc3339(" 2024-05-01T12:00:00Z"));
  CHECK(!parse_rfc3339("2024-05-01T12:00:00Z "));
  CHECK(!parse_rfc3339("+2024-05-01T12:00:00Z"));
  CHECK(!parse_rfc3339("2024-05-01T1a:00:00Z"));
}

TEST_CASE("parse_rfc3339 rejects times outside the clock's range") {
  CHECK(!parse_rfc3339("9999-12-31T23:59:59Z"));
  CHECK(!parse_rfc3339("0001-01-01T00:00:00Z"));
  CHECK(parse_rfc3339("2200-01-01T00:00:00Z"));
  CHECK(parse_rfc3339("1700-01-01T00:00:00Z"));
}
