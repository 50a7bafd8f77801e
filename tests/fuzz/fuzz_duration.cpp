// Fuzz target: the duration parser and the interval check. A reference reading
// of the documented grammar, with exact arithmetic, decides whether a text is
// a duration and what it is worth; parse_duration must agree. What parses is
// not negative, formats and parses back to itself, and interval_error accepts
// exactly 1 ms - 24 h.
#include <cstring>
#include <limits>
#include <optional>
#include <string>

#include "fuzz_check.hpp"
#include "iot/duration.hpp"

using std::chrono::milliseconds;

namespace {

__extension__ typedef unsigned __int128 u128;

constexpr u128 pow10(int n) {
  u128 v = 1;
  while (n-- > 0) v *= 10;
  return v;
}

// The reference's verdict: `decided` false when the text is too large for it
// to compute exactly (the parser then only has to stay consistent).
struct verdict {
  bool decided = false;
  bool valid = false;
  std::int64_t ms = 0;
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Blanks, then either one number (seconds) or numbers each followed by a unit
// of d, h, m, s, ms, from the largest to the smallest, each once; a number is
// digits with an optional "." and digits, at least one digit in all. Values
// are rounded to the nearest millisecond, halves up.
verdict reference(std::string_view s) {
  constexpr std::string_view blanks = " \t\r\n";
  const auto first = s.find_first_not_of(blanks);
  if (first == std::string_view::npos) return {true, false, 0};
  s = s.substr(first, s.find_last_not_of(blanks) - first + 1);

  // Fractions are cut after 18 digits: the exact sum, in 10^-18 ms, lies in
  // [sum, sum + slack).
  constexpr int frac_digits = 18;
  constexpr u128 scale = pow10(frac_digits);
  u128 sum = 0, slack = 0;
  bool exact = true;  // false when an integer part is too long to compute with
  int last_rank = 5;
  std::size_t i = 0;
  for (int part = 0; i < s.size(); ++part) {
    std::string_view integer, fraction;
    const auto start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    integer = s.substr(start, i - start);
    if (i < s.size() && s[i] == '.') {
      const auto f = ++i;
      while (i < s.size() && is_digit(s[i])) ++i;
      fraction = s.substr(f, i - f);
    }
    if (integer.empty() && fraction.empty()) return {true, false, 0};
    const auto u = i;
    while (i < s.size() && is_letter(s[i])) ++i;
    const auto unit = s.substr(u, i - u);
    std::uint64_t unit_ms = 0;
    int rank = 0;
    if (unit.empty()) {
      if (part != 0 || i != s.size()) return {true, false, 0};
      unit_ms = 1000, rank = 1;
    } else if (unit == "d") {
      unit_ms = 86'400'000, rank = 4;
    } else if (unit == "h") {
      unit_ms = 3'600'000, rank = 3;
    } else if (unit == "m") {
      unit_ms = 60'000, rank = 2;
    } else if (unit == "s") {
      unit_ms = 1000, rank = 1;
    } else if (unit == "ms") {
      unit_ms = 1, rank = 0;
    } else {
      return {true, false, 0};
    }
    if (!unit.empty()) {
      if (rank >= last_rank) return {true, false, 0};
      last_rank = rank;
    }
    while (integer.size() > 1 && integer.front() == '0') integer.remove_prefix(1);
    if (integer.size() > 12) {
      exact = false;
      continue;
    }
    u128 whole = 0, frac = 0;
    for (const char c : integer) whole = whole * 10 + static_cast<unsigned>(c - '0');
    for (int k = 0; k < frac_digits; ++k)
      frac = frac * 10 +
             (k < static_cast<int>(fraction.size()) ? static_cast<unsigned>(fraction[k] - '0') : 0);
    sum += (whole * scale + frac) * unit_ms;
    if (fraction.size() > static_cast<std::size_t>(frac_digits)) slack += unit_ms;
  }
  if (!exact) return {};
  const u128 half = scale / 2;
  const u128 low = (sum + half) / scale;
  const u128 high = slack == 0 ? low : (sum + slack + half - 1) / scale;
  if (low != high) return {};
  // Below 2^127 (12 digits of each unit); a count past int64 is too large.
  if (low > static_cast<u128>(std::numeric_limits<std::int64_t>::max())) return {true, false, 0};
  return {true, true, static_cast<std::int64_t>(low)};
}

void check_interval(milliseconds d) {
  const auto e = iot::interval_error(d);
  const bool in_range = d >= iot::min_interval && d <= iot::max_interval;
  FUZZ_CHECK(e.empty() == in_range);
  if (!in_range) {
    FUZZ_CHECK(fuzz::is_reason(e));
    FUZZ_CHECK(e.find(std::to_string(d.count()) + " ms") == 0);
  }
}

void check_format(milliseconds d) {
  const auto text = iot::format_duration(d);
  FUZZ_CHECK(!text.empty());
  if (d.count() < 0) {
    FUZZ_CHECK(text.front() == '-');
    return;
  }
  milliseconds back{-1};
  FUZZ_CHECK(iot::parse_duration(text, back).empty());
  FUZZ_CHECK(back == d);
}

}  // namespace

int fuzz_one(const std::uint8_t* data, std::size_t size) {
  const auto in = fuzz::text_of(data, size);
  const auto expected = reference(in);
  milliseconds d{-7};
  const auto e = iot::parse_duration(in, d);
  if (!e.empty()) {
    FUZZ_CHECK(fuzz::is_reason(e));
    FUZZ_CHECK(d == milliseconds{-7});
    FUZZ_CHECK(!expected.decided || !expected.valid);
  } else {
    FUZZ_CHECK(d.count() >= 0);
    if (expected.decided) {
      FUZZ_CHECK(expected.valid);
      FUZZ_CHECK(d.count() == expected.ms);
    }
    check_interval(d);
    check_format(d);
    // Blanks around the text do not matter.
    milliseconds padded{-1};
    FUZZ_CHECK(iot::parse_duration(" \t" + std::string(in) + "\r\n", padded).empty());
    FUZZ_CHECK(padded == d);
  }

  // The interval check and the formatting of any count of milliseconds: the
  // first eight bytes as one.
  if (size >= sizeof(std::int64_t)) {
    std::int64_t count = 0;
    std::memcpy(&count, data, sizeof count);
    check_interval(milliseconds{count});
    check_format(milliseconds{count});
  }
  return 0;
}
