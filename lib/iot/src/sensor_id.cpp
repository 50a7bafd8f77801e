#include "iot/sensor_id.hpp"

#include <algorithm>

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

}  // namespace iot
