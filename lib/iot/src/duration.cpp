#include "iot/duration.hpp"

#include <charconv>
#include <cstdint>
#include <limits>

#include "limits.hpp"
#include "text.hpp"

namespace iot {
namespace {

constexpr std::uint64_t max_ms =
    static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

struct unit_info {
  std::string_view name;
  std::uint64_t ms;
  int rank;  // combined forms go from the largest unit to the smallest
};
constexpr unit_info units[] = {
    {"d", 86'400'000, 4}, {"h", 3'600'000, 3}, {"m", 60'000, 2}, {"s", 1'000, 1}, {"ms", 1, 0}};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Adds `integer_digits`.`fraction_digits` times `unit_ms` to the total: whole
// milliseconds, plus `total_fraction`, the exact decimal digits of the
// fraction of a millisecond (so that rounding sees the exact sum). False on
// overflow.
bool add(std::string_view integer_digits, std::string_view fraction_digits, std::uint64_t unit_ms,
         std::uint64_t& total_ms, std::string& total_fraction) {
  std::uint64_t whole = 0;
  if (!integer_digits.empty()) {
    const auto r = std::from_chars(integer_digits.data(),
                                   integer_digits.data() + integer_digits.size(), whole);
    if (r.ec != std::errc{}) return false;
  }
  if (whole > max_ms / unit_ms) return false;
  whole *= unit_ms;
  // fraction * unit_ms, digit by digit from the right: the carry is whole
  // milliseconds, the digits are the fraction of a millisecond.
  std::uint64_t carry = 0;
  std::string product(fraction_digits.size(), '0');
  for (std::size_t i = fraction_digits.size(); i-- > 0;) {
    const std::uint64_t t = static_cast<std::uint64_t>(fraction_digits[i] - '0') * unit_ms + carry;
    product[i] = static_cast<char>('0' + t % 10);
    carry = t / 10;
  }
  // total_fraction += product, the carry out going to whole milliseconds.
  if (total_fraction.size() < product.size()) total_fraction.resize(product.size(), '0');
  int sum_carry = 0;
  for (std::size_t i = product.size(); i-- > 0;) {
    const int t = (total_fraction[i] - '0') + (product[i] - '0') + sum_carry;
    total_fraction[i] = static_cast<char>('0' + t % 10);
    sum_carry = t / 10;
  }
  whole += carry + static_cast<std::uint64_t>(sum_carry);
  if (whole > max_ms - total_ms) return false;
  total_ms += whole;
  return true;
}

}  // namespace

std::string parse_duration(std::string_view text, std::chrono::milliseconds& out) {
  const auto s = detail::trim(text);
  if (s.empty()) return "the duration is empty";
  const auto what = "duration " + detail::quoted(s);
  const auto garbage = [&] {
    return what +
           " is not a duration: use a number and a unit (ms, s, m, h, d), like 250ms, 5s, 1m30s or 30d";
  };
  if (s.front() == '-') return what + " is negative";

  std::uint64_t total_ms = 0;
  std::string total_fraction;
  int last_rank = 5;
  std::size_t i = 0;
  bool first = true;
  while (i < s.size()) {
    const auto int_start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    const auto integer_digits = s.substr(int_start, i - int_start);
    std::string_view fraction_digits;
    if (i < s.size() && s[i] == '.') {
      const auto frac_start = ++i;
      while (i < s.size() && is_digit(s[i])) ++i;
      fraction_digits = s.substr(frac_start, i - frac_start);
    }
    if (integer_digits.empty() && fraction_digits.empty()) return garbage();
    const auto unit_start = i;
    while (i < s.size() && is_alpha(s[i])) ++i;
    const auto unit = s.substr(unit_start, i - unit_start);
    const unit_info* info = nullptr;
    if (unit.empty()) {
      if (!first || i != s.size()) {
        if (i < s.size() && !is_digit(s[i])) return garbage();
        return what + " needs a unit after every number of a combined duration";
      }
      info = &units[3];  // a bare number counts seconds
    } else {
      for (const auto& u : units)
        if (u.name == unit) info = &u;
      if (!info)
        return what + " has an unknown unit " + detail::quoted(unit) + ": use ms, s, m, h or d";
      if (info->rank >= last_rank)
        return what + ": combine units from the largest to the smallest, each once (like 1h30m)";
      last_rank = info->rank;
    }
    if (!add(integer_digits, fraction_digits, info->ms, total_ms, total_fraction))
      return what + " is too large";
    first = false;
  }
  // Round to the nearest millisecond (halves up).
  if (!total_fraction.empty() && total_fraction.front() >= '5') {
    if (total_ms == max_ms) return what + " is too large";
    ++total_ms;
  }
  out = std::chrono::milliseconds(static_cast<std::int64_t>(total_ms));
  return {};
}

std::string interval_error(std::chrono::milliseconds d) {
  if (d >= min_interval && d <= max_interval) return {};
  return detail::interval_range_reason(std::to_string(d.count()));
}

std::string format_duration(std::chrono::milliseconds d) {
  if (d.count() == 0) return "0s";
  std::string out;
  std::uint64_t v = 0;
  if (d.count() < 0) {
    out = "-";
    v = static_cast<std::uint64_t>(-(d.count() + 1)) + 1;  // safe for the minimum too
  } else {
    v = static_cast<std::uint64_t>(d.count());
  }
  for (const auto& u : units) {
    if (u.name == "d") continue;  // "168h" reads better in logs than "7d"
    const auto n = v / u.ms;
    if (n == 0) continue;
    out += std::to_string(n);
    out += u.name;
    v -= n * u.ms;
  }
  return out;
}

}  // namespace iot
