// The database side's limit for the historian scenario: the same rows
// written the plainest fast way, straight through the C client libraries
// (sqlite3, libpq) into a table with the columns and unique key.
// Every function here blocks: call it on a plain thread (on_plain_thread in
// bench_env.hpp), never on an io_context.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "iot/measurement.hpp"

namespace bench::plain {

struct insert_result {
  double seconds = 0;
  double cpu_seconds = 0;  // of this process: the client's share
  std::size_t rows = 0;
};

// Into SQLite file `path` (WAL, synchronous=NORMAL, a checkpoint every
// 40 000 pages, as the historian opens its own): one prepared INSERT per row,
// `batch` rows per transaction.
insert_result sqlite(const std::string& path, const std::vector<iot::measurement>& rows,
                     std::size_t batch);

// Into table `table` (made afresh) of the PostgreSQL database at `url`: one
// COPY FROM STDIN per `batch` rows, each its own transaction.
insert_result postgres(const std::string& url, const std::string& table,
                       const std::vector<iot::measurement>& rows, std::size_t batch);

// Runs one statement (VACUUM, say) on the PostgreSQL database at `url`.
void postgres_exec(const std::string& url, const std::string& sql);

}  // namespace bench::plain
