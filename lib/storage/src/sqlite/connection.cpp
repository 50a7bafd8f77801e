#include "storage/sqlite/connection.hpp"

#include <sqlite3.h>

#include <cstring>
#include <system_error>

#include "storage/sqlite/error.hpp"

namespace storage::sqlite {
namespace {

// SQLite says "unable to open database file" whatever the cause: name it.
std::string why_not_opened(const std::filesystem::path& path, sqlite3* db) {
  std::error_code ec;
  const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  if (!std::filesystem::exists(dir, ec)) return "directory " + dir.string() + " does not exist";
  if (!std::filesystem::is_directory(dir, ec)) return dir.string() + " is not a directory";
  if (std::filesystem::is_directory(path, ec)) return "it is a directory, not a database file";
  std::string text = db ? sqlite3_errmsg(db) : "unable to open database file";
  if (const int err = db ? sqlite3_system_errno(db) : 0; err != 0) {
    text += std::string(" (") + std::strerror(err) + ")";
  }
  return text;
}

[[noreturn]] void fail_open(const std::filesystem::path& path, sqlite3* db, int rc) {
  throw database_error(make_sqlite_error(rc),
                       "cannot open database " + path.string() + ": " + why_not_opened(path, db));
}

}  // namespace

connection::connection(const std::filesystem::path& path, mode m, const connection_options& options)
    : path_(path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) fail_open(path, nullptr, SQLITE_CANTOPEN_ISDIR);
  const int flags =
      SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE |
      (m == mode::read_write ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY);
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string reason = why_not_opened(path, db_);
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw database_error(make_sqlite_error(rc),
                         "cannot open database " + path.string() + ": " + reason);
  }
  // SQLite opens a file it may not write read-only, without saying so.
  if (m == mode::read_write && sqlite3_db_readonly(db_, "main") == 1) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw database_error(make_sqlite_error(SQLITE_READONLY),
                         "cannot open database " + path.string() +
                             " for writing: the file is read-only (permission denied)");
  }
  sqlite3_busy_timeout(db_, static_cast<int>(options.busy_timeout.count()));
  try {
    exec("PRAGMA cache_size = -" + std::to_string(options.cache_kib) +
         "; PRAGMA temp_store = MEMORY");
    if (options.mmap_bytes > 0) exec("PRAGMA mmap_size = " + std::to_string(options.mmap_bytes));
  } catch (...) {
    sqlite3_close_v2(db_);
    db_ = nullptr;
    throw;
  }
}

connection::~connection() {
  cache_.clear();  // statements before their connection
  sqlite3_close_v2(db_);
}

void connection::exec(std::string_view sql) {
  const std::string text(sql);
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string what = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    throw database_error(make_sqlite_error(rc), what);
  }
}

statement_use connection::prepare(std::string_view sql) {
  auto it = cache_.find(std::string(sql));
  if (it == cache_.end()) {
    it = cache_.emplace(std::string(sql), std::make_unique<statement>(db_, sql, true)).first;
  }
  return statement_use(*it->second);
}

std::int64_t connection::changes() const noexcept { return sqlite3_changes64(db_); }

}  // namespace storage::sqlite
