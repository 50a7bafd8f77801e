#include <charconv>

#include "historian/queries.hpp"

namespace historian {
namespace {

template <class T>
bool read_number(std::string_view& text, T& out, bool last) {
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  if (ec != std::errc() || ptr == text.data()) return false;
  text.remove_prefix(static_cast<std::size_t>(ptr - text.data()));
  if (last) return text.empty();
  if (text.empty() || text.front() != '.') return false;
  text.remove_prefix(1);
  return true;
}

}  // namespace

std::string encode_cursor(const cursor& c) {
  return std::to_string(c.ts_ms) + '.' + std::to_string(c.lecture_id) + '.' +
         std::to_string(c.revision);
}

std::optional<cursor> decode_cursor(std::string_view text) {
  cursor c;
  if (read_number(text, c.ts_ms, false) && read_number(text, c.lecture_id, false) &&
      read_number(text, c.revision, true)) {
    return c;
  }
  return std::nullopt;
}

}  // namespace historian
