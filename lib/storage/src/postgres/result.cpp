#include "storage/postgres/result.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <stdexcept>

namespace storage::postgres {
namespace {

template <class T>
bool parse_number(std::string_view text, T& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && !text.empty();
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

result::result(pg_result* r) noexcept : res_(r) {}

void result::deleter::operator()(pg_result* r) const noexcept { PQclear(r); }

int result::rows() const noexcept { return res_ ? PQntuples(res_.get()) : 0; }
int result::columns() const noexcept { return res_ ? PQnfields(res_.get()) : 0; }

std::uint64_t result::affected_rows() const noexcept {
  if (!res_) return 0;
  std::uint64_t n = 0;
  parse_number(std::string_view(PQcmdTuples(res_.get())), n);
  return n;
}

bool result::is_null(int row, int col) const noexcept {
  return !res_ || PQgetisnull(res_.get(), row, col) != 0;
}

std::string_view result::text(int row, int col) const noexcept {
  if (is_null(row, col)) return {};
  return {PQgetvalue(res_.get(), row, col),
          static_cast<std::size_t>(PQgetlength(res_.get(), row, col))};
}

void result::fail(int row, int col, const char* what) const {
  const char* name = res_ ? PQfname(res_.get(), col) : nullptr;
  throw std::runtime_error("column " + std::string(name ? name : std::to_string(col)) + " of row " +
                           std::to_string(row) + " is not " + what + ": \"" +
                           std::string(text(row, col).substr(0, 40)) + "\"");
}

template <>
std::string result::get<std::string>(int row, int col) const {
  if (is_null(row, col)) fail(row, col, "text");
  return std::string(text(row, col));
}

template <>
std::int64_t result::get<std::int64_t>(int row, int col) const {
  std::int64_t v = 0;
  if (is_null(row, col) || !parse_number(text(row, col), v)) fail(row, col, "an integer");
  return v;
}

// Unsigned values are stored as bigint, wrapped: read them back the same way.
template <>
std::uint64_t result::get<std::uint64_t>(int row, int col) const {
  return static_cast<std::uint64_t>(get<std::int64_t>(row, col));
}

template <>
std::int32_t result::get<std::int32_t>(int row, int col) const {
  std::int32_t v = 0;
  if (is_null(row, col) || !parse_number(text(row, col), v)) fail(row, col, "an integer");
  return v;
}

template <>
std::uint32_t result::get<std::uint32_t>(int row, int col) const {
  std::uint32_t v = 0;
  if (is_null(row, col) || !parse_number(text(row, col), v)) fail(row, col, "an unsigned integer");
  return v;
}

template <>
double result::get<double>(int row, int col) const {
  const std::string_view t = text(row, col);
  double v = 0;
  // from_chars takes "NaN", "Infinity" and "-Infinity" as PostgreSQL prints them.
  if (is_null(row, col) || !parse_number(t, v)) fail(row, col, "a number");
  return v;
}

template <>
bool result::get<bool>(int row, int col) const {
  const std::string_view t = text(row, col);
  if (is_null(row, col) || (t != "t" && t != "f")) fail(row, col, "a boolean");
  return t == "t";
}

std::string result::bytes(int row, int col) const {
  const std::string_view t = text(row, col);
  if (is_null(row, col) || t.size() < 2 || t[0] != '\\' || t[1] != 'x' || t.size() % 2 != 0) {
    fail(row, col, "bytea in hex");
  }
  std::string out;
  out.reserve((t.size() - 2) / 2);
  for (std::size_t i = 2; i < t.size(); i += 2) {
    const int hi = hex_digit(t[i]);
    const int lo = hex_digit(t[i + 1]);
    if (hi < 0 || lo < 0) fail(row, col, "bytea in hex");
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

}  // namespace storage::postgres
