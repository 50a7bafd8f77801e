// Statement parameters in libpq's text format: a value or NULL per $n, and
// array literals ("{...}") so that one parameter carries a whole column of
// a batch (INSERT ... SELECT * FROM unnest($1::bigint[], ...)).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace storage::postgres {

using param = std::optional<std::string>;  // nullopt: SQL NULL
using params = std::vector<param>;

std::string to_text(std::int64_t v);
// Unsigned 64-bit values travel as bigint, wrapped (2^63 and above turn
// negative), so that a bigint column holds any of them and gives it back.
std::string to_text(std::uint64_t v);
std::string to_text(std::int32_t v);
std::string to_text(std::uint32_t v);
// Shortest text that reads back to the same double; NaN and infinities as
// PostgreSQL spells them.
std::string to_text(double v);

// Builds the text of a one-dimensional array literal, element by element.
class array_literal {
 public:
  array_literal() { text_.push_back('{'); }
  void reserve(std::size_t bytes) { text_.reserve(bytes); }
  void push_number(std::string_view digits);  // as to_text gives it
  void push_text(std::string_view value);     // quoted and escaped
  void push_bytes(std::string_view raw);      // bytea, in hex
  void push_null();
  std::string finish() &&;

 private:
  void separate();
  std::string text_;
  bool empty_ = true;
};

}  // namespace storage::postgres
