// PostgreSQL's errors as error codes: the SQLSTATE classes a program acts on
// get a value of their own; the SQLSTATE itself and the server's text go to
// storage::diagnostics ("... (SQLSTATE 42601)").
#pragma once

#include <boost/system/error_code.hpp>
#include <string_view>

namespace storage::postgres {

enum class errc {
  server_error = 1,        // any SQLSTATE without a value of its own
  unique_violation,        // 23505
  integrity_violation,     // the rest of class 23 (not null, foreign key, check)
  syntax_error,            // 42601
  undefined_table,         // 42P01
  statement_error,         // the rest of class 42 (undefined column or function, privileges)
  serialization_failure,   // 40001 and deadlocks (40P01): the transaction may be retried
  connection_failure,      // class 08, and connecting failed (refused, unknown host)
  server_shutdown,         // class 57 except 57014: the server is stopping or starting
  query_canceled,          // 57014
  insufficient_resources,  // class 53 (disk full, out of memory, too many connections)
  timed_out,               // our own deadline passed
  bad_connection_string,   // libpq refused the connection string
  busy,                    // an operation is in flight on this connection already
};

const boost::system::error_category& postgres_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), postgres_category()};
}

// The value for a five-character SQLSTATE (server_error if unknown).
errc errc_from_sqlstate(std::string_view sqlstate) noexcept;

}  // namespace storage::postgres

template <>
struct boost::system::is_error_code_enum<storage::postgres::errc> : std::true_type {};
