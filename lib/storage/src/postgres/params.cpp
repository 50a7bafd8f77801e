#include "storage/postgres/params.hpp"

#include <charconv>
#include <cmath>

namespace storage::postgres {
namespace {

template <class T>
std::string integer_text(T v) {
  char buf[24];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, ptr);
}

}  // namespace

std::string to_text(std::int64_t v) { return integer_text(v); }
std::string to_text(std::uint64_t v) { return integer_text(static_cast<std::int64_t>(v)); }
std::string to_text(std::int32_t v) { return integer_text(v); }
std::string to_text(std::uint32_t v) { return integer_text(v); }

std::string to_text(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, ptr);
}

void array_literal::separate() {
  if (!empty_) text_.push_back(',');
  empty_ = false;
}

void array_literal::push_number(std::string_view digits) {
  separate();
  text_.append(digits);
}

void array_literal::push_text(std::string_view value) {
  separate();
  text_.push_back('"');
  for (char c : value) {
    if (c == '"' || c == '\\') text_.push_back('\\');
    text_.push_back(c);
  }
  text_.push_back('"');
}

void array_literal::push_bytes(std::string_view raw) {
  static constexpr char digits[] = "0123456789abcdef";
  separate();
  // "\\x0a1b": the array parser turns \\ into the \ of bytea's hex form.
  text_.append("\"\\\\x");
  for (unsigned char c : raw) {
    text_.push_back(digits[c >> 4]);
    text_.push_back(digits[c & 15]);
  }
  text_.push_back('"');
}

void array_literal::push_null() {
  separate();
  text_.append("NULL");
}

std::string array_literal::finish() && {
  text_.push_back('}');
  return std::move(text_);
}

}  // namespace storage::postgres
