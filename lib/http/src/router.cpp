#include "http/router.hpp"

#include <stdexcept>

namespace http {

const std::string& path_params::operator[](std::string_view name) const {
  static const std::string none;
  for (const auto& [n, v] : values_)
    if (n == name) return v;
  return none;
}

namespace detail {

std::vector<pattern_segment> parse_pattern(std::string_view pattern) {
  if (pattern.empty() || pattern.front() != '/')
    throw std::invalid_argument("route pattern \"" + std::string(pattern) +
                                "\" does not start with '/'");
  std::vector<pattern_segment> out;
  std::size_t start = 1;
  for (;;) {
    const auto slash = pattern.find('/', start);
    const auto text = pattern.substr(start, slash - start);
    const bool opens = !text.empty() && text.front() == '{';
    const bool closes = !text.empty() && text.back() == '}';
    if (opens != closes || (opens && text.size() < 3) ||
        text.find_first_of("{}", opens ? 1 : 0) < (opens ? text.size() - 1 : text.size()))
      throw std::invalid_argument("route pattern \"" + std::string(pattern) +
                                  "\" has a malformed segment \"" + std::string(text) + "\"");
    if (opens)
      out.push_back({std::string(text.substr(1, text.size() - 2)), true});
    else
      out.push_back({std::string(text), false});
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

std::optional<std::size_t> match(const std::vector<pattern_segment>& pattern,
                                 const std::vector<std::string>& segments, path_params& out) {
  if (pattern.size() != segments.size()) return std::nullopt;
  std::size_t literals = 0;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i].parameter) {
      if (segments[i].empty()) return std::nullopt;  // "/sensors//config" names no sensor
      continue;
    }
    if (pattern[i].text != segments[i]) return std::nullopt;
    ++literals;
  }
  for (std::size_t i = 0; i < pattern.size(); ++i)
    if (pattern[i].parameter) out.add(pattern[i].text, segments[i]);
  return literals;
}

}  // namespace detail
}  // namespace http
