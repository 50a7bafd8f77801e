#include "storage/error.hpp"

#include <string>
#include <string_view>

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
  const std::string_view category = ec.category().name();
  if (category == "sqlite") {
    // SQLITE_BUSY, SQLITE_LOCKED (and their extended codes): another
    // connection holds the lock past the busy timeout.
    const int primary = ec.value() & 0xff;
    return primary == 5 || primary == 6;
  }
  return false;
}

}  // namespace storage
