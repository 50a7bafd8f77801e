// A prepared statement: bind parameters (1-based), step through rows, read
// columns (0-based). Failures throw database_error with the connection's
// message. Use it on the thread that owns its connection.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace storage::sqlite {

class statement {
 public:
  // `persistent`: kept for long (the connection's cache), which SQLite
  // allocates differently.
  statement(sqlite3* db, std::string_view sql, bool persistent = false);
  ~statement();
  statement(statement&& other) noexcept;
  statement& operator=(statement&& other) noexcept;
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  // Texts and blobs are copied: the values need not outlive the call.
  statement& bind(int index, std::int64_t value);
  statement& bind(int index, double value);
  statement& bind(int index, std::string_view text);
  statement& bind_blob(int index, std::span<const std::byte> bytes);
  statement& bind_null(int index);

  // True when a row is ready, false when the statement has finished.
  bool step();
  // Runs a statement that returns no rows (or ignores them) to its end,
  // then resets it for the next run.
  void run();
  // Ready to run again: bindings cleared, and any read snapshot released.
  void reset() noexcept;

  bool is_null(int column) const;
  std::int64_t column_int64(int column) const;
  double column_double(int column) const;
  // Valid until the next step() or reset().
  std::string_view column_text(int column) const;
  std::string_view column_blob(int column) const;

  sqlite3_stmt* native_handle() const noexcept { return stmt_; }

 private:
  void check_bind(int result_code) const;

  sqlite3_stmt* stmt_ = nullptr;
};

// Resets a statement when leaving a scope, so that a cached SELECT never
// holds its read snapshot (which would stop WAL checkpoints).
class statement_use {
 public:
  explicit statement_use(statement& s) noexcept : s_(s) {}
  ~statement_use() { s_.reset(); }
  statement_use(const statement_use&) = delete;
  statement_use& operator=(const statement_use&) = delete;
  statement* operator->() const noexcept { return &s_; }
  statement& operator*() const noexcept { return s_; }

 private:
  statement& s_;
};

}  // namespace storage::sqlite
