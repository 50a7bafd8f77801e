// SQLite's result codes as error_codes (category "sqlite", values are the
// extended result codes, messages sqlite3_errstr), and the exception that
// work on a database thread throws: the code plus the connection's own text
// (sqlite3_errmsg), which the asynchronous operation puts in diagnostics.
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>
#include <string>

struct sqlite3;

namespace storage::sqlite {

using boost::system::error_code;

const boost::system::error_category& sqlite_category() noexcept;

inline error_code make_sqlite_error(int result_code) noexcept {
  return {result_code, sqlite_category()};
}

// The primary result code (SQLITE_BUSY, SQLITE_CANTOPEN...) of an extended one.
inline int primary_code(const error_code& ec) noexcept { return ec.value() & 0xff; }

class database_error : public boost::system::system_error {
 public:
  database_error(error_code ec, std::string text)
      : boost::system::system_error(ec, text), text_(std::move(text)) {}
  // The database's own words, without the category's message.
  const std::string& text() const noexcept { return text_; }

 private:
  std::string text_;
};

// Throws `result_code` with `db`'s last message, prefixed by `context` when given.
[[noreturn]] void throw_error(sqlite3* db, int result_code, const std::string& context = {});

}  // namespace storage::sqlite
