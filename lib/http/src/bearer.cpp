#include "http/bearer.hpp"

#include <algorithm>
#include <cctype>

namespace http {

bool bearer_matches(std::string_view authorization, std::string_view token) {
  constexpr std::string_view scheme = "bearer ";
  if (authorization.size() < scheme.size()) return false;
  // The scheme is case-insensitive (RFC 9110, 11.1); it is no secret.
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != scheme[i]) return false;
  auto given = authorization.substr(scheme.size());
  while (!given.empty() && given.front() == ' ') given.remove_prefix(1);
  // Every byte of the longer one is looked at, whatever matched before.
  unsigned diff = given.size() == token.size() ? 0 : 1;
  const auto n = std::max(given.size(), token.size());
  for (std::size_t i = 0; i < n; ++i) {
    const auto a = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    const auto b = i < token.size() ? static_cast<unsigned char>(token[i]) : 0;
    diff |= static_cast<unsigned>(a ^ b);
  }
  return diff == 0 && !token.empty();
}

}  // namespace http
