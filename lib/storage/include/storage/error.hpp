// Errors of the storage layer that are neither SQLite's nor PostgreSQL's own.
#pragma once

#include <boost/system/error_code.hpp>

namespace storage {

enum class errc {
  schema_too_new = 1,  // the database was migrated by a newer program
  closed,              // the database was closed while the operation waited
  bad_url,             // not sqlite:PATH or postgresql://...
  bad_cursor,          // a page cursor that this store did not make
  connection_lost,     // the server went away; the operation may be retried
};

const boost::system::error_category& storage_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), storage_category()};
}

// Whether a failed operation may succeed if tried again later: the
// connection was lost or the server is restarting, the file is locked by
// another writer for longer than the busy timeout. False for what needs a
// person: a read-only or full disk, a missing table, bad credentials.
bool may_pass(const boost::system::error_code& ec) noexcept;

}  // namespace storage

template <>
struct boost::system::is_error_code_enum<storage::errc> : std::true_type {};
