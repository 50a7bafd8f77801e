// Parameter text and SQLSTATE mapping of storage::postgres: no server.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "storage/postgres/error.hpp"
#include "storage/postgres/params.hpp"

namespace pg = storage::postgres;

TEST_CASE("numbers become text PostgreSQL reads back exactly") {
  CHECK(pg::to_text(std::int64_t{-42}) == "-42");
  CHECK(pg::to_text(std::uint32_t{4'000'000'000U}) == "4000000000");
  // Unsigned 64-bit values wrap into bigint's range.
  CHECK(pg::to_text(std::numeric_limits<std::uint64_t>::max()) == "-1");
  CHECK(pg::to_text(0.1) == "0.1");
  CHECK(pg::to_text(std::nan("")) == "NaN");
  CHECK(pg::to_text(-std::numeric_limits<double>::infinity()) == "-Infinity");
}

TEST_CASE("array literals quote and escape text and write bytes in hex") {
  pg::array_literal a;
  a.push_text("a\"b\\c,{}");
  a.push_null();
  a.push_number("7");
  CHECK(std::move(a).finish() == R"({"a\"b\\c,{}",NULL,7})");
  pg::array_literal b;
  b.push_bytes(std::string("\0\xff", 2));
  CHECK(std::move(b).finish() == R"({"\\x00ff"})");
  CHECK(pg::array_literal().finish() == "{}");
}

TEST_CASE("SQLSTATEs map to the error a program acts on") {
  CHECK(pg::errc_from_sqlstate("23505") == pg::errc::unique_violation);
  CHECK(pg::errc_from_sqlstate("23502") == pg::errc::integrity_violation);
  CHECK(pg::errc_from_sqlstate("42601") == pg::errc::syntax_error);
  CHECK(pg::errc_from_sqlstate("42P01") == pg::errc::undefined_table);
  CHECK(pg::errc_from_sqlstate("42703") == pg::errc::statement_error);
  CHECK(pg::errc_from_sqlstate("40P01") == pg::errc::serialization_failure);
  CHECK(pg::errc_from_sqlstate("08006") == pg::errc::connection_failure);
  CHECK(pg::errc_from_sqlstate("57P01") == pg::errc::server_shutdown);
  CHECK(pg::errc_from_sqlstate("57014") == pg::errc::query_canceled);
  CHECK(pg::errc_from_sqlstate("53100") == pg::errc::insufficient_resources);
  CHECK(pg::errc_from_sqlstate("XX000") == pg::errc::server_error);
  CHECK(pg::errc_from_sqlstate("") == pg::errc::server_error);
  const boost::system::error_code ec = pg::errc::undefined_table;
  CHECK(ec.category().name() == std::string("postgres"));
  CHECK(ec.message() == "no such table");
}
