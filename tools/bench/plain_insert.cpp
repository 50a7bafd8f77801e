#include "plain_insert.hpp"

#include <libpq-fe.h>
#include <sqlite3.h>

#include <chrono>
#include <memory>
#include <stdexcept>

#include "process_stats.hpp"

namespace bench::plain {
namespace {

using clock = std::chrono::steady_clock;

std::int64_t ts_ms(const iot::measurement& m) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(m.timestamp.time_since_epoch())
      .count();
}

// The measured part of a run: wall and CPU time from construction to done().
struct timed {
  clock::time_point start = clock::now();
  double cpu_start = own_cpu_seconds();
  insert_result done(std::size_t rows) const {
    return {std::chrono::duration<double>(clock::now() - start).count(),
            own_cpu_seconds() - cpu_start, rows};
  }
};

// --- SQLite ---

struct sqlite_closer {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct statement_finalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

void check(sqlite3* db, int rc, const char* what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return;
  throw std::runtime_error(std::string("plain SQLite insert: ") + what + ": " + sqlite3_errmsg(db));
}

// --- PostgreSQL ---

struct pg_closer {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct result_clearer {
  void operator()(PGresult* r) const { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_clearer>;

[[noreturn]] void fail(PGconn* c, const std::string& what) {
  std::string text = PQerrorMessage(c);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  throw std::runtime_error("plain PostgreSQL insert: " + what + ": " + text);
}

void exec(PGconn* c, const std::string& sql) {
  result_ptr r(PQexec(c, sql.c_str()));
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK) fail(c, sql.substr(0, 40));
}

// COPY's text format: tab-separated, with backslash escapes.
void append_field(std::string& out, const std::string& text) {
  for (const char ch : text) {
    switch (ch) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += ch;
    }
  }
}

}  // namespace

insert_result sqlite(const std::string& path, const std::vector<iot::measurement>& rows,
                     std::size_t batch) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open(path.c_str(), &raw);
  std::unique_ptr<sqlite3, sqlite_closer> db(raw);
  check(db.get(), rc, "open");
  check(db.get(),
        sqlite3_exec(db.get(),
                     "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                     "PRAGMA wal_autocheckpoint = 40000;"
                     "CREATE TABLE measurements (sensor_id TEXT NOT NULL, lecture_id INTEGER "
                     "NOT NULL, revision INTEGER NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT "
                     "NULL, value REAL NOT NULL, lecture TEXT NOT NULL, unit TEXT NOT NULL, "
                     "stream_seq INTEGER NOT NULL, UNIQUE (sensor_id, lecture_id, revision))",
                     nullptr, nullptr, nullptr),
        "create");
  sqlite3_stmt* raw_stmt = nullptr;
  check(db.get(),
        sqlite3_prepare_v2(db.get(),
                           "INSERT OR IGNORE INTO measurements VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           -1, &raw_stmt, nullptr),
        "prepare");
  std::unique_ptr<sqlite3_stmt, statement_finalizer> insert(raw_stmt);

  const timed t;
  for (std::size_t i = 0; i < rows.size(); i += batch) {
    check(db.get(), sqlite3_exec(db.get(), "BEGIN", nullptr, nullptr, nullptr), "begin");
    for (std::size_t k = i; k < std::min(rows.size(), i + batch); ++k) {
      const auto& m = rows[k];
      auto* s = insert.get();
      sqlite3_bind_text(s, 1, m.sensor_id.data(), static_cast<int>(m.sensor_id.size()),
                        SQLITE_STATIC);
      sqlite3_bind_int64(s, 2, static_cast<sqlite3_int64>(m.lecture_id));
      sqlite3_bind_int64(s, 3, static_cast<sqlite3_int64>(m.revision));
      sqlite3_bind_int64(s, 4, static_cast<sqlite3_int64>(m.seq));
      sqlite3_bind_int64(s, 5, ts_ms(m));
      sqlite3_bind_double(s, 6, m.value);
      sqlite3_bind_text(s, 7, m.lecture.data(), static_cast<int>(m.lecture.size()), SQLITE_STATIC);
      sqlite3_bind_text(s, 8, m.unit.data(), static_cast<int>(m.unit.size()), SQLITE_STATIC);
      sqlite3_bind_int64(s, 9, static_cast<sqlite3_int64>(k + 1));
      check(db.get(), sqlite3_step(s), "insert");
      sqlite3_reset(s);
    }
    check(db.get(), sqlite3_exec(db.get(), "COMMIT", nullptr, nullptr, nullptr), "commit");
  }
  return t.done(rows.size());
}

insert_result postgres(const std::string& url, const std::string& table,
                       const std::vector<iot::measurement>& rows, std::size_t batch) {
  std::unique_ptr<PGconn, pg_closer> conn(PQconnectdb(url.c_str()));
  PGconn* c = conn.get();
  if (PQstatus(c) != CONNECTION_OK) fail(c, "connect");
  exec(c, "SET client_min_messages = warning");  // no notice that the table did not exist
  exec(c, "DROP TABLE IF EXISTS " + table);
  exec(c, "CREATE TABLE " + table +
              " (sensor_id text NOT NULL, lecture_id bigint NOT NULL, revision integer NOT "
              "NULL, seq bigint NOT NULL, ts bigint NOT NULL, value double precision NOT NULL, "
              "lecture text NOT NULL, unit text NOT NULL, stream_seq bigint NOT NULL, UNIQUE "
              "(sensor_id, lecture_id, revision))");

  const timed t;
  const std::string copy = "COPY " + table + " FROM STDIN";
  std::string data;
  for (std::size_t i = 0; i < rows.size(); i += batch) {
    data.clear();
    for (std::size_t k = i; k < std::min(rows.size(), i + batch); ++k) {
      const auto& m = rows[k];
      append_field(data, m.sensor_id);
      data += '\t' + std::to_string(m.lecture_id) + '\t' + std::to_string(m.revision) + '\t' +
              std::to_string(m.seq) + '\t' + std::to_string(ts_ms(m)) + '\t' +
              std::to_string(m.value) + '\t';
      append_field(data, m.lecture);
      data += '\t';
      append_field(data, m.unit);
      data += '\t' + std::to_string(k + 1) + '\n';
    }
    result_ptr start(PQexec(c, copy.c_str()));
    if (PQresultStatus(start.get()) != PGRES_COPY_IN) fail(c, "COPY");
    if (PQputCopyData(c, data.data(), static_cast<int>(data.size())) != 1 ||
        PQputCopyEnd(c, nullptr) != 1)
      fail(c, "COPY data");
    result_ptr end(PQgetResult(c));
    if (PQresultStatus(end.get()) != PGRES_COMMAND_OK) fail(c, "COPY end");
    while (PGresult* more = PQgetResult(c)) PQclear(more);
  }
  return t.done(rows.size());
}

void postgres_exec(const std::string& url, const std::string& sql) {
  std::unique_ptr<PGconn, pg_closer> conn(PQconnectdb(url.c_str()));
  if (PQstatus(conn.get()) != CONNECTION_OK) fail(conn.get(), "connect");
  exec(conn.get(), sql);
}

}  // namespace bench::plain
