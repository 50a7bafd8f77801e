#include "storage/error.hpp"

#include <sqlite3.h>

#include <string>
#include <string_view>

#include "storage/postgres/error.hpp"
#include "storage/sqlite/error.hpp"

namespace storage {
namespace {

class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "storage"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::schema_too_new:
        return "the database schema is newer than this program";
      case errc::closed:
        return "the database is closed";
      case errc::bad_url:
        return "not a database URL (sqlite:PATH or postgresql://...)";
      case errc::bad_cursor:
        return "not a cursor of this store";
      case errc::connection_lost:
        return "the connection to the database was lost";
    }
    return "storage error " + std::to_string(value);
  }
};

}  // namespace

const boost::system::error_category& storage_category() noexcept {
  static const category instance;
  return instance;
}

}  // namespace storage

namespace storage {

bool may_pass(const boost::system::error_code& ec) noexcept {
  if (ec == errc::connection_lost) return true;
  if (ec.category() == sqlite::sqlite_category()) {
    // Another connection holds the lock past the busy timeout.
    const int primary = sqlite::primary_code(ec);
    return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
  }
  if (ec.category() == postgres::postgres_category()) {
    using pe = postgres::errc;
    switch (static_cast<pe>(ec.value())) {
      case pe::connection_failure:
      case pe::server_shutdown:
      case pe::serialization_failure:
      case pe::insufficient_resources:
      case pe::timed_out:
        return true;
      default:
        return false;
    }
  }
  return false;
}

}  // namespace storage
