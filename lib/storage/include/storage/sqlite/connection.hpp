// One SQLite connection, used by one thread at a time (SQLite's
// multi-thread mode): opened with a clear message when the file cannot be,
// a busy timeout (several processes may share the file: waiting happens
// on the database's own thread), and a cache of prepared statements.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "storage/sqlite/statement.hpp"

struct sqlite3;

namespace storage::sqlite {

struct connection_options {
  // How long a statement waits for another connection's lock before SQLITE_BUSY.
  std::chrono::milliseconds busy_timeout{10'000};
  // Page cache of this connection, in KiB.
  std::int64_t cache_kib = 2'000;
  // Memory-mapped reads of up to this many bytes of the file (0: none): a
  // page the kernel has cached is then mapped, not copied into the page
  // cache. The price: an I/O error on a mapped page is a SIGBUS, not an error.
  std::int64_t mmap_bytes = 0;
};

class connection {
 public:
  enum class mode {
    read_write,  // creates the file when missing (not its directory)
    read_only,
  };

  // Throws database_error; its text names the path and what is wrong with it.
  connection(const std::filesystem::path& path, mode m, const connection_options& options);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  // Runs one or more statements that return no rows.
  void exec(std::string_view sql);
  // A statement prepared once per connection and kept; reset when the
  // returned use ends.
  statement_use prepare(std::string_view sql);
  // Rows changed by the last INSERT, UPDATE or DELETE.
  std::int64_t changes() const noexcept;

  const std::filesystem::path& path() const noexcept { return path_; }
  sqlite3* native_handle() const noexcept { return db_; }

 private:
  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, std::unique_ptr<statement>> cache_;
};

}  // namespace storage::sqlite
