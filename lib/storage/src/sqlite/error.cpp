#include "storage/sqlite/error.hpp"

#include <sqlite3.h>

namespace storage::sqlite {
namespace {

class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "sqlite"; }
  std::string message(int value) const override { return sqlite3_errstr(value); }
};

}  // namespace

const boost::system::error_category& sqlite_category() noexcept {
  static const category instance;
  return instance;
}

void throw_error(sqlite3* db, int result_code, const std::string& context) {
  std::string text = db ? sqlite3_errmsg(db) : sqlite3_errstr(result_code);
  if (!context.empty()) text = context + ": " + text;
  throw database_error(make_sqlite_error(result_code), std::move(text));
}

}  // namespace storage::sqlite
