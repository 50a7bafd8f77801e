#include "storage/postgres/error.hpp"

#include <string>

namespace storage::postgres {
namespace {

class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "postgres"; }
  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::server_error:
        return "the PostgreSQL server reported an error";
      case errc::unique_violation:
        return "duplicate key value violates a unique constraint";
      case errc::integrity_violation:
        return "integrity constraint violation";
      case errc::syntax_error:
        return "SQL syntax error";
      case errc::undefined_table:
        return "no such table";
      case errc::statement_error:
        return "the statement refers to something undefined or not allowed";
      case errc::serialization_failure:
        return "the transaction could not be serialized; it may be retried";
      case errc::connection_failure:
        return "cannot connect to the PostgreSQL server";
      case errc::server_shutdown:
        return "the PostgreSQL server is shutting down or starting up";
      case errc::query_canceled:
        return "the statement was canceled";
      case errc::insufficient_resources:
        return "the PostgreSQL server lacks resources (disk, memory, connections)";
      case errc::timed_out:
        return "the database operation timed out";
      case errc::bad_connection_string:
        return "invalid PostgreSQL connection string";
      case errc::busy:
        return "an operation is in progress on this connection";
    }
    return "postgres error " + std::to_string(value);
  }
};

}  // namespace

const boost::system::error_category& postgres_category() noexcept {
  static const category instance;
  return instance;
}

errc errc_from_sqlstate(std::string_view s) noexcept {
  if (s.size() != 5) return errc::server_error;
  if (s == "23505") return errc::unique_violation;
  if (s == "42601") return errc::syntax_error;
  if (s == "42P01") return errc::undefined_table;
  if (s == "57014") return errc::query_canceled;
  if (s == "40001" || s == "40P01") return errc::serialization_failure;
  const std::string_view cls = s.substr(0, 2);
  if (cls == "23") return errc::integrity_violation;
  if (cls == "42") return errc::statement_error;
  if (cls == "08") return errc::connection_failure;
  if (cls == "57") return errc::server_shutdown;
  if (cls == "53") return errc::insufficient_resources;
  return errc::server_error;
}

}  // namespace storage::postgres
