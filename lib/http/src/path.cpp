#include "http/path.hpp"

#include <cctype>

namespace http {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) return std::nullopt;
      const int hi = hex_digit(text[i + 1]), lo = hex_digit(text[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    if (c == '\0') return std::nullopt;
    out += c;
  }
  return out;
}

std::optional<target> parse_target(std::string_view text) {
  if (text.empty() || text.front() != '/') return std::nullopt;
  target t;
  const auto q = text.find('?');
  const auto path = text.substr(1, q == std::string_view::npos ? std::string_view::npos : q - 1);
  for (std::size_t start = 0;;) {
    const auto slash = path.find('/', start);
    auto segment = percent_decode(path.substr(start, slash - start));
    if (!segment) return std::nullopt;
    t.segments.push_back(std::move(*segment));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (q == std::string_view::npos) return t;
  const auto query = text.substr(q + 1);
  for (std::size_t start = 0; start <= query.size();) {
    auto amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    const auto pair = query.substr(start, amp - start);
    start = amp + 1;
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    auto name = percent_decode(pair.substr(0, eq), true);
    auto value = percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!name || !value) return std::nullopt;
    t.query.emplace_back(std::move(*name), std::move(*value));
  }
  return t;
}

std::vector<std::string> query_values(const target& t, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& [n, v] : t.query)
    if (n == name) out.push_back(v);
  return out;
}

std::optional<std::string> query_value(const target& t, std::string_view name, std::string& error) {
  auto values = query_values(t, name);
  if (values.empty()) return std::nullopt;
  if (values.size() > 1) {
    error = "the query parameter \"" + std::string(name) + "\" is given " +
            std::to_string(values.size()) + " times";
    return std::nullopt;
  }
  return std::move(values.front());
}

std::string percent_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xF];
    }
  }
  return out;
}

}  // namespace http
