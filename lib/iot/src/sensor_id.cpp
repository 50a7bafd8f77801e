#include "iot/sensor_id.hpp"

#include <algorithm>
#include <utility>

#include "text.hpp"

namespace iot {

std::string sensor_id_error(std::string_view id) {
  const auto allowed = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  };
  const auto token_ok = [&](std::string_view t) {
    return !t.empty() && std::all_of(t.begin(), t.end(), allowed);
  };
  const auto dot = id.find('.');
  const bool ok =
      id.size() <= 64 &&
      (dot == std::string_view::npos ? token_ok(id)
                                     : token_ok(id.substr(0, dot)) && token_ok(id.substr(dot + 1)));
  if (ok) return {};
  return "sensor id " + detail::quoted(id) +
         " is invalid: use 1-64 characters of A-Z a-z 0-9 _ -, or <fleet>.<member> for a fleet's";
}

std::string_view fleet_of(std::string_view id) {
  const auto dot = id.find('.');
  return dot == std::string_view::npos ? std::string_view{} : id.substr(0, dot);
}

namespace {

// "<base>.<n>" with n a number without leading zeros: (base, digits of n);
// anything else: (the whole id, nothing).
std::pair<std::string_view, std::string_view> order_key(std::string_view id) {
  const auto dot = id.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {id, {}};
  const auto n = id.substr(dot + 1);
  const bool number = !n.empty() && n.front() != '0' &&
                      std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; });
  return number ? std::pair{id.substr(0, dot), n} : std::pair{id, std::string_view{}};
}

}  // namespace

bool sensor_id_less(std::string_view a, std::string_view b) {
  const auto [base_a, n_a] = order_key(a);
  const auto [base_b, n_b] = order_key(b);
  if (base_a != base_b) return base_a < base_b;
  // Numbers without leading zeros: the shorter is the smaller, then by digits.
  if (n_a.size() != n_b.size()) return n_a.size() < n_b.size();
  if (n_a != n_b) return n_a < n_b;
  return a < b;
}

}  // namespace iot
