// One statement's result rows, owned (PQclear on destruction), read with
// typed accessors over libpq's text format.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

struct pg_result;

namespace storage::postgres {

class result {
 public:
  result() = default;
  explicit result(pg_result* r) noexcept;  // takes ownership

  explicit operator bool() const noexcept { return res_ != nullptr; }
  int rows() const noexcept;
  int columns() const noexcept;
  // Rows an INSERT, UPDATE, DELETE or COPY touched (0 for others).
  std::uint64_t affected_rows() const noexcept;

  bool is_null(int row, int col) const noexcept;
  std::string_view text(int row, int col) const noexcept;  // "" when NULL

  // Typed reads of the text form; throw std::runtime_error naming the
  // column when the text is not a T (NULL is not a T either).
  template <class T>
  T get(int row, int col) const;
  // A bytea column (hex output) as raw bytes.
  std::string bytes(int row, int col) const;

 private:
  struct deleter {
    void operator()(pg_result* r) const noexcept;
  };
  [[noreturn]] void fail(int row, int col, const char* what) const;

  std::unique_ptr<pg_result, deleter> res_;
};

template <>
std::string result::get<std::string>(int row, int col) const;
template <>
std::int64_t result::get<std::int64_t>(int row, int col) const;
template <>
std::uint64_t result::get<std::uint64_t>(int row, int col) const;
template <>
std::int32_t result::get<std::int32_t>(int row, int col) const;
template <>
std::uint32_t result::get<std::uint32_t>(int row, int col) const;
template <>
double result::get<double>(int row, int col) const;
template <>
bool result::get<bool>(int row, int col) const;

}  // namespace storage::postgres
