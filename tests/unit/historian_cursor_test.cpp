#include <doctest/doctest.h>

#include <cstdint>
#include <limits>

#include "historian/queries.hpp"

using historian::cursor;
using historian::decode_cursor;
using historian::encode_cursor;

TEST_CASE("encode_cursor: ts, lecture_id and revision in base 10, dot-separated") {
  CHECK(encode_cursor(cursor{1714564800123, 42, 2}) == "1714564800123.42.2");
  CHECK(encode_cursor(cursor{-5, 0, 0}) == "-5.0.0");
}

TEST_CASE("decode_cursor: reads back what encode_cursor wrote, extremes included") {
  for (const cursor c :
       {cursor{0, 0, 0}, cursor{1714564800123, 42, 2},
        cursor{std::numeric_limits<std::int64_t>::min(), 1, 1},
        cursor{std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::uint64_t>::max(),
               std::numeric_limits<std::uint32_t>::max()}}) {
    const auto text = encode_cursor(c);
    CAPTURE(text);
    const auto back = decode_cursor(text);
    REQUIRE(back);
    CHECK(*back == c);
  }
}

TEST_CASE("decode_cursor: refuses anything that is not three numbers") {
  for (const char* text :
       {"", "1", "1.2", "1.2.", ".1.2", "1..2", "1.2.3.4", "1.2.3 ", " 1.2.3", "a.b.c", "1.-2.3",
        "1.2.-3", "1.2.99999999999", "1,2,3", "1.2.3x", "99999999999999999999.1.1"}) {
    CAPTURE(text);
    CHECK_FALSE(decode_cursor(text));
  }
}
