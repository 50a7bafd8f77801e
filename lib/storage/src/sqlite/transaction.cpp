#include "storage/sqlite/transaction.hpp"

#include "storage/sqlite/connection.hpp"

namespace storage::sqlite {

transaction::transaction(connection& c, kind k) : c_(c) {
  c_.exec(k == kind::immediate ? "BEGIN IMMEDIATE" : "BEGIN");
}

transaction::~transaction() {
  if (!open_) return;
  try {
    c_.exec("ROLLBACK");
  } catch (...) {
    // SQLite has rolled back already (a failed COMMIT, a full disk...).
  }
}

void transaction::commit() {
  c_.exec("COMMIT");
  open_ = false;
}

}  // namespace storage::sqlite
