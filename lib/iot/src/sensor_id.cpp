#include "iot/sensor_id.hpp"

#include <algorithm>

#include "text.hpp"

namespace iot {

std::string sensor_id_error(std::string_view id) {
  const auto allowed = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  };
  if (!id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), allowed)) return {};
  return "sensor id " + detail::quoted(id) + " is invalid: use 1-64 characters of A-Z a-z 0-9 _ -";
}

}  // namespace iot
