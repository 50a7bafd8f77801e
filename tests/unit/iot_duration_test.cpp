#include <doctest/doctest.h>

#include <string>

#include "iot/duration.hpp"

using namespace std::chrono_literals;
using std::chrono::milliseconds;

namespace {

// The parsed value, or -1 ms when parse_duration fails.
milliseconds parsed(std::string_view text) {
  milliseconds d{-1};
  if (!iot::parse_duration(text, d).empty()) return milliseconds{-1};
  return d;
}

std::string error_of(std::string_view text) {
  milliseconds d{-7};
  auto e = iot::parse_duration(text, d);
  CHECK(d == milliseconds{-7});  // untouched on failure
  return e;
}

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("a bare number counts seconds") {
  CHECK(parsed("5") == 5000ms);
  CHECK(parsed("0.25") == 250ms);
  CHECK(parsed("0") == 0ms);
  CHECK(parsed("120") == 120000ms);
}

TEST_CASE("units ms, s, m, h and d") {
  CHECK(parsed("250ms") == 250ms);
  CHECK(parsed("5s") == 5000ms);
  CHECK(parsed("1m") == 60000ms);
  CHECK(parsed("2h") == 7200000ms);
  CHECK(parsed("1.5s") == 1500ms);
  CHECK(parsed("0.5h") == 1800000ms);
  CHECK(parsed(".5s") == 500ms);
  CHECK(parsed("007s") == 7000ms);
  CHECK(parsed("168h") == 168h);
  CHECK(parsed("30d") == 720h);
  CHECK(parsed("1.5d") == 36h);
}

TEST_CASE("combined forms, from the largest unit to the smallest") {
  CHECK(parsed("1m30s") == 90000ms);
  CHECK(parsed("1h30m") == 5400000ms);
  CHECK(parsed("1h2m3s4ms") == 3723004ms);
  CHECK(parsed("1d12h") == 36h);
  CHECK(parsed("1s500ms") == 1500ms);
  CHECK(parsed("1.5m30s") == 120000ms);
}

TEST_CASE("whitespace around the text is trimmed") {
  CHECK(parsed(" 5s ") == 5000ms);
  CHECK(parsed("\t250ms\n") == 250ms);
  CHECK(parsed("  7  ") == 7000ms);
}

TEST_CASE("fractions round to the nearest millisecond") {
  CHECK(parsed("0.0004s") == 0ms);
  CHECK(parsed("0.0005s") == 1ms);
  CHECK(parsed("1.4ms") == 1ms);
  CHECK(parsed("1.5ms") == 2ms);
  CHECK(parsed("0.0000083334m") == 1ms);  // 0.500004 ms
  CHECK(parsed("0.1234567891234s") == 123ms);
  CHECK(parsed("0.0001h") == 360ms);
}

TEST_CASE("the fractions of a combined form add up exactly before rounding") {
  // 0.2999999 ms + 0.2000001 ms is exactly half a millisecond: rounded up.
  CHECK(parsed("0.0002999999s0.2000001ms") == 1ms);
  CHECK(parsed("0.0002999999s0.2000000ms") == 0ms);
  // Fractions carry into whole milliseconds.
  CHECK(parsed("0.0009999999999s0.0000000001ms") == 1ms);
  CHECK(parsed("0.0009999999999s0.5000000001ms") == 2ms);
  CHECK(parsed("1.00000000000000000000000000001m0.99999999999999999999999999999ms") == 60001ms);
  // Digits far beyond a nanosecond still count.
  CHECK(parsed("0.000000000000000000000000000000000000000001s0.4999999999999999999999999999999"
               "99999999999ms") == 1ms);
}

TEST_CASE("empty, negative and garbage text is rejected") {
  CHECK(error_of("") == "the duration is empty");
  CHECK(error_of("   ") == "the duration is empty");
  CHECK(error_of("-5s") == R"(duration "-5s" is negative)");
  CHECK(error_of("-1") == R"(duration "-1" is negative)");
  CHECK(contains(error_of("abc"), R"(duration "abc" is not a duration)"));
  CHECK(contains(error_of("5 s s"), R"(duration "5 s s" is not a duration)"));
  CHECK(contains(error_of("5 s"), "is not a duration"));
  CHECK(contains(error_of("+5s"), "is not a duration"));
  CHECK(contains(error_of("."), "is not a duration"));
  CHECK(contains(error_of("s"), "is not a duration"));
  CHECK(contains(error_of("5..5s"), "is not a duration"));
  CHECK(contains(error_of("1e3s"), "unknown unit"));
}

TEST_CASE("unknown units are rejected with the known ones listed") {
  CHECK(error_of("5x") == R"(duration "5x" has an unknown unit "x": use ms, s, m, h or d)");
  CHECK(contains(error_of("5sec"), R"(unknown unit "sec")"));
  CHECK(contains(error_of("5S"), R"(unknown unit "S")"));
  CHECK(contains(error_of("1w"), R"(unknown unit "w")"));
  CHECK(contains(error_of("5us"), R"(unknown unit "us")"));
}

TEST_CASE("combined forms need a unit per number, largest first, each once") {
  CHECK(contains(error_of("1m30"), "needs a unit after every number"));
  CHECK(contains(error_of("30s1m"), "from the largest to the smallest"));
  CHECK(contains(error_of("1s1s"), "from the largest to the smallest"));
  CHECK(contains(error_of("500ms1s"), "from the largest to the smallest"));
  CHECK(contains(error_of("1h1d"), "from the largest to the smallest"));
}

TEST_CASE("values that overflow are rejected") {
  CHECK(contains(error_of("99999999999999999999s"), "is too large"));
  CHECK(contains(error_of("9223372036854776s"), "is too large"));
  CHECK(contains(error_of("9223372036854775808ms"), "is too large"));
  CHECK(contains(error_of("2562047788015216h"), "is too large"));
  CHECK(parsed("9223372036854775807ms") == milliseconds::max());
  CHECK(contains(error_of("9223372036854775807ms1.5ms"), "from the largest"));
  CHECK(contains(error_of("2562047788015h30m"), "is too large"));
}

TEST_CASE("interval_error enforces 1 ms - 24 h") {
  CHECK(iot::interval_error(1ms) == "");
  CHECK(iot::interval_error(5s) == "");
  CHECK(iot::interval_error(24h) == "");
  CHECK(iot::interval_error(0ms) == "0 ms is outside 1 ms - 24 h");
  CHECK(iot::interval_error(24h + 1ms) == "86400001 ms is outside 1 ms - 24 h");
  CHECK(iot::interval_error(-5ms) == "-5 ms is outside 1 ms - 24 h");
  CHECK(iot::min_interval == 1ms);
  CHECK(iot::max_interval == 24h);
}

TEST_CASE("format_duration uses the largest exact decomposition") {
  CHECK(iot::format_duration(250ms) == "250ms");
  CHECK(iot::format_duration(5s) == "5s");
  CHECK(iot::format_duration(90s) == "1m30s");
  CHECK(iot::format_duration(2h) == "2h");
  CHECK(iot::format_duration(1500ms) == "1s500ms");
  CHECK(iot::format_duration(0ms) == "0s");
  CHECK(iot::format_duration(25h + 1min + 1s + 1ms) == "25h1m1s1ms");
  CHECK(iot::format_duration(2h + 5s) == "2h5s");
  CHECK(iot::format_duration(-1500ms) == "-1s500ms");
  CHECK(iot::format_duration(milliseconds::min()) == "-2562047788015h12m55s808ms");
}

TEST_CASE("format_duration's output parses back") {
  for (auto d : {1ms, 999ms, 1000ms, 1001ms, 59999ms, 60000ms, 3599999ms, 86400000ms, 123456789ms,
                 milliseconds::max()}) {
    CAPTURE(d.count());
    CHECK(parsed(iot::format_duration(d)) == d);
  }
}
