// measurement_store on SQLite (storage::sqlite::database): writes on the
// writer thread, queries on the readers. Tables: sqlite_schema.cpp.
#include <boost/asio/bind_executor.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <limits>
#include <unordered_map>

#include "historian/open_store.hpp"
#include "sqlite_schema.hpp"
#include "storage/sqlite/database.hpp"
#include "storage/sqlite/migrate.hpp"
#include "storage/sqlite/transaction.hpp"

namespace historian {
namespace {

using storage::sqlite::connection;
using storage::sqlite::transaction;

std::int64_t to_ms(iot::clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

iot::clock::time_point from_ms(std::int64_t ms) {
  return iot::clock::time_point(std::chrono::milliseconds(ms));
}

// Unsigned columns are stored as the signed 64-bit integers SQLite has.
std::int64_t as_integer(std::uint64_t v) { return static_cast<std::int64_t>(v); }
std::uint64_t as_unsigned(std::int64_t v) { return static_cast<std::uint64_t>(v); }

constexpr std::string_view insert_measurement = R"sql(
INSERT INTO measurements
  (sensor, ts, lecture_id, revision, superseded, seq, value, lecture, unit, stream_seq)
VALUES (?1, ?2, ?3, ?4,
  EXISTS (SELECT 1 FROM measurements WHERE sensor = ?1 AND lecture_id = ?3 AND revision > ?4),
  ?5, ?6, ?7, ?8, ?9)
ON CONFLICT DO NOTHING)sql";

constexpr std::string_view supersede_older = R"sql(
UPDATE measurements SET superseded = 1
WHERE sensor = ?1 AND lecture_id = ?2 AND revision < ?3 AND superseded = 0)sql";

// The sensor's latest row (latest revisions only) and `?2` more rows.
constexpr std::string_view refresh_latest = R"sql(
INSERT INTO latest
  (sensor, row_count, ts, lecture_id, revision, seq, value, lecture, unit, stream_seq)
SELECT sensor, ?2, ts, lecture_id, revision, seq, value, lecture, unit, stream_seq
FROM measurements WHERE sensor = ?1 AND superseded = 0
ORDER BY ts DESC, lecture_id DESC, revision DESC LIMIT 1
ON CONFLICT (sensor) DO UPDATE SET
  row_count = row_count + excluded.row_count, ts = excluded.ts,
  lecture_id = excluded.lecture_id, revision = excluded.revision, seq = excluded.seq,
  value = excluded.value, lecture = excluded.lecture, unit = excluded.unit,
  stream_seq = excluded.stream_seq)sql";

constexpr std::string_view insert_rejected = R"sql(
INSERT INTO rejected (stream_seq, subject, reason, payload, received_ms)
VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING)sql";

// Rows of a sensor in [?2, ?3) after the row (?5, ?6, ?7); all revisions
// when ?4 is true.
constexpr std::string_view select_range = R"sql(
SELECT ts, lecture_id, revision, seq, value, lecture, unit, stream_seq FROM measurements
WHERE sensor = (SELECT id FROM sensors WHERE sensor_id = ?1) AND ts >= ?2 AND ts < ?3
  AND (?4 OR superseded = 0) AND (ts, lecture_id, revision) > (?5, ?6, ?7)
ORDER BY ts, lecture_id, revision LIMIT ?8)sql";

constexpr std::string_view select_values = R"sql(
SELECT ts, value FROM measurements
WHERE sensor = (SELECT id FROM sensors WHERE sensor_id = ?1) AND ts >= ?2 AND ts < ?3
  AND superseded = 0
ORDER BY ts, lecture_id, revision)sql";

constexpr std::string_view select_latest = R"sql(
SELECT s.sensor_id, l.ts, l.lecture_id, l.revision, l.seq, l.value, l.lecture, l.unit,
  l.stream_seq
FROM latest l JOIN sensors s ON s.id = l.sensor ORDER BY s.sensor_id)sql";

constexpr std::string_view delete_oldest = R"sql(
DELETE FROM measurements WHERE sensor = ?1 AND (ts, lecture_id, revision) IN (
  SELECT ts, lecture_id, revision FROM measurements WHERE sensor = ?1 AND ts < ?2
  ORDER BY ts LIMIT ?3))sql";

class sqlite_store final : public measurement_store {
 public:
  sqlite_store(asio::any_io_executor ex, std::string name,
               storage::sqlite::database_options options)
      : measurement_store(ex, std::move(name)), db_(ex, std::move(options)) {}

  storage::sqlite::database& db() { return db_; }

 private:
  void do_write(write_batch batch, storage::diagnostics* diag,
                handler<void(error_code, write_result)> h) override {
    db_.async_write([this, b = std::move(batch)](connection& c) { return write(c, b); }, *diag,
                    std::move(h));
  }

  void do_range(range_query query, storage::diagnostics* diag,
                handler<void(error_code, page)> h) override {
    db_.async_read([q = std::move(query)](connection& c) { return range(c, q); }, *diag,
                   std::move(h));
  }

  void do_buckets(bucket_query query, storage::diagnostics* diag,
                  handler<void(error_code, std::vector<bucket>)> h) override {
    db_.async_read([q = std::move(query)](connection& c) { return buckets(c, q); }, *diag,
                   std::move(h));
  }

  void do_latest(storage::diagnostics* diag,
                 handler<void(error_code, std::vector<stored_measurement>)> h) override {
    db_.async_read([](connection& c) { return latest(c); }, *diag, std::move(h));
  }

  void do_rejected(std::uint64_t after, std::size_t limit, storage::diagnostics* diag,
                   handler<void(error_code, std::vector<rejected_message>)> h) override {
    db_.async_read([after, limit](connection& c) { return rejected(c, after, limit); }, *diag,
                   std::move(h));
  }

  void do_delete_before(iot::clock::time_point cutoff, std::size_t max_rows,
                        storage::diagnostics* diag,
                        handler<void(error_code, std::size_t)> h) override {
    db_.async_write(
        [cutoff, max_rows](connection& c) { return delete_before(c, to_ms(cutoff), max_rows); },
        *diag, std::move(h));
  }

  void do_stats(storage::diagnostics* diag, handler<void(error_code, store_stats)> h) override {
    db_.async_read([](connection& c) { return stats(c); }, *diag, std::move(h));
  }

  void do_close(handler<void(error_code)> h) override { db_.async_close(std::move(h)); }

  // On the writer thread only.
  write_result write(connection& c, const write_batch& batch) {
    write_result result;
    std::unordered_map<std::string, std::int64_t> new_keys;
    std::unordered_map<std::int64_t, std::int64_t> inserted_per_sensor;
    transaction t(c);
    {
      auto insert = c.prepare(insert_measurement);
      auto supersede = c.prepare(supersede_older);
      for (const auto& row : batch.rows) {
        const std::int64_t sensor = sensor_key(c, row.sensor_id, new_keys);
        insert->bind(1, sensor)
            .bind(2, to_ms(row.ts))
            .bind(3, as_integer(row.lecture_id))
            .bind(4, std::int64_t{row.revision})
            .bind(5, as_integer(row.seq))
            .bind(6, row.value)
            .bind(7, row.lecture)
            .bind(8, row.unit)
            .bind(9, as_integer(row.stream_seq))
            .run();
        if (c.changes() == 0) {
          ++result.duplicates;
          continue;
        }
        ++result.inserted;
        ++inserted_per_sensor[sensor];
        if (row.revision > 1) {
          supersede->bind(1, sensor)
              .bind(2, as_integer(row.lecture_id))
              .bind(3, std::int64_t{row.revision})
              .run();
        }
      }
    }
    {
      auto refresh = c.prepare(refresh_latest);
      for (const auto& [sensor, count] : inserted_per_sensor) {
        refresh->bind(1, sensor).bind(2, count).run();
      }
    }
    {
      auto insert = c.prepare(insert_rejected);
      const auto now = to_ms(iot::clock::now());
      for (const auto& r : batch.rejected) {
        insert->bind(1, as_integer(r.stream_seq))
            .bind(2, r.subject)
            .bind(3, r.reason)
            .bind_blob(4, std::as_bytes(std::span(r.payload.data(), r.payload.size())))
            .bind(5, now)
            .run();
        result.rejected += static_cast<std::size_t>(c.changes());
      }
    }
    t.commit();
    // Only committed ids are kept: a rolled-back transaction takes its new ids with it.
    sensor_keys_.merge(new_keys);
    return result;
  }

  // The integer a sensor_id is stored as, created when new.
  std::int64_t sensor_key(connection& c, const std::string& sensor_id,
                          std::unordered_map<std::string, std::int64_t>& new_keys) {
    if (auto it = sensor_keys_.find(sensor_id); it != sensor_keys_.end()) return it->second;
    if (auto it = new_keys.find(sensor_id); it != new_keys.end()) return it->second;
    c.prepare("INSERT INTO sensors (sensor_id) VALUES (?1) ON CONFLICT DO NOTHING")
        ->bind(1, sensor_id)
        .run();
    auto select = c.prepare("SELECT id FROM sensors WHERE sensor_id = ?1");
    select->bind(1, sensor_id).step();
    const auto key = select->column_int64(0);
    new_keys.emplace(sensor_id, key);
    return key;
  }

  static stored_measurement read_row(const storage::sqlite::statement& s, int first,
                                     std::string sensor_id) {
    stored_measurement m;
    m.sensor_id = std::move(sensor_id);
    m.ts = from_ms(s.column_int64(first));
    m.lecture_id = as_unsigned(s.column_int64(first + 1));
    m.revision = static_cast<std::uint32_t>(s.column_int64(first + 2));
    m.seq = as_unsigned(s.column_int64(first + 3));
    m.value = s.column_double(first + 4);
    m.lecture = s.column_text(first + 5);
    m.unit = s.column_text(first + 6);
    m.stream_seq = as_unsigned(s.column_int64(first + 7));
    return m;
  }

  static page range(connection& c, const range_query& q) {
    const auto limit = std::max<std::size_t>(q.limit, 1);
    const cursor after = q.after.value_or(cursor{std::numeric_limits<std::int64_t>::min(), 0, 0});
    page result;
    transaction t(c, transaction::kind::deferred);
    auto s = c.prepare(select_range);
    s->bind(1, q.sensor_id)
        .bind(2, to_ms(q.from))
        .bind(3, to_ms(q.to))
        .bind(4, std::int64_t{q.all_revisions})
        .bind(5, after.ts_ms)
        .bind(6, q.after ? as_integer(after.lecture_id) : std::numeric_limits<std::int64_t>::min())
        .bind(7, std::int64_t{after.revision})
        .bind(8, static_cast<std::int64_t>(limit));
    while (s->step()) result.rows.push_back(read_row(*s, 0, q.sensor_id));
    if (result.rows.size() == limit) {
      const auto& last = result.rows.back();
      result.next = cursor{to_ms(last.ts), last.lecture_id, last.revision};
    }
    return result;
  }

  static std::vector<bucket> buckets(connection& c, const bucket_query& q) {
    const auto step = q.step.count();
    if (step <= 0) {
      throw storage::sqlite::database_error(make_error_code(boost::system::errc::invalid_argument),
                                            "a bucket step must be positive");
    }
    const auto from = to_ms(q.from);
    std::vector<bucket> result;
    std::int64_t current = -1;
    double sum = 0;
    transaction t(c, transaction::kind::deferred);
    auto s = c.prepare(select_values);
    s->bind(1, q.sensor_id).bind(2, from).bind(3, to_ms(q.to));
    // Rows come in ts order, so buckets are filled one after the other.
    while (s->step()) {
      const std::int64_t k = (s->column_int64(0) - from) / step;
      const double v = s->column_double(1);
      if (k != current) {
        if (!result.empty()) result.back().avg = sum / static_cast<double>(result.back().count);
        current = k;
        sum = 0;
        result.push_back(bucket{from_ms(from + k * step), v, v, 0, 0, v});
      }
      auto& b = result.back();
      b.min = std::min(b.min, v);
      b.max = std::max(b.max, v);
      b.last = v;
      ++b.count;
      sum += v;
    }
    if (!result.empty()) result.back().avg = sum / static_cast<double>(result.back().count);
    return result;
  }

  static std::vector<stored_measurement> latest(connection& c) {
    std::vector<stored_measurement> result;
    transaction t(c, transaction::kind::deferred);
    auto s = c.prepare(select_latest);
    while (s->step()) result.push_back(read_row(*s, 1, std::string(s->column_text(0))));
    return result;
  }

  static std::vector<rejected_message> rejected(connection& c, std::uint64_t after,
                                                std::size_t limit) {
    std::vector<rejected_message> result;
    transaction t(c, transaction::kind::deferred);
    auto s = c.prepare(
        "SELECT stream_seq, subject, reason, payload FROM rejected WHERE stream_seq > ?1 "
        "ORDER BY stream_seq LIMIT ?2");
    s->bind(1, as_integer(after)).bind(2, static_cast<std::int64_t>(limit));
    while (s->step()) {
      result.push_back(
          rejected_message{as_unsigned(s->column_int64(0)), std::string(s->column_text(1)),
                           std::string(s->column_text(2)), std::string(s->column_blob(3))});
    }
    return result;
  }

  // Sensor by sensor, each sensor's oldest rows first.
  static std::size_t delete_before(connection& c, std::int64_t cutoff, std::size_t max_rows) {
    std::size_t deleted = 0;
    transaction t(c);
    std::vector<std::int64_t> sensors;
    {
      auto s = c.prepare("SELECT sensor FROM latest ORDER BY sensor");
      while (s->step()) sensors.push_back(s->column_int64(0));
    }
    auto remove = c.prepare(delete_oldest);
    auto count = c.prepare("UPDATE latest SET row_count = row_count - ?2 WHERE sensor = ?1");
    auto forget = c.prepare("DELETE FROM latest WHERE sensor = ?1 AND row_count <= 0");
    for (auto sensor : sensors) {
      if (deleted >= max_rows) break;
      remove->bind(1, sensor)
          .bind(2, cutoff)
          .bind(3, static_cast<std::int64_t>(max_rows - deleted))
          .run();
      const auto n = c.changes();
      if (n == 0) continue;
      deleted += static_cast<std::size_t>(n);
      count->bind(1, sensor).bind(2, n).run();
      forget->bind(1, sensor).run();
    }
    t.commit();
    return deleted;
  }

  static store_stats stats(connection& c) {
    store_stats result;
    {
      transaction t(c, transaction::kind::deferred);
      auto s = c.prepare("SELECT coalesce(sum(row_count), 0), count(*) FROM latest");
      s->step();
      result.measurements = as_unsigned(s->column_int64(0));
      result.sensors = as_unsigned(s->column_int64(1));
      auto r = c.prepare("SELECT count(*) FROM rejected");
      r->step();
      result.rejected = as_unsigned(r->column_int64(0));
    }
    std::error_code ec;
    for (const auto* suffix : {"", "-wal"}) {
      const auto size = std::filesystem::file_size(c.path().string() + suffix, ec);
      if (!ec) result.bytes += size;
    }
    return result;
  }

  storage::sqlite::database db_;
  // sensor_id -> sensors.id, committed ones only; the writer thread's own.
  std::unordered_map<std::string, std::int64_t> sensor_keys_;
};

storage::sqlite::database_options database_options(const store_options& options) {
  storage::sqlite::database_options o;
  o.readers = std::max<std::size_t>(options.readers, 1);
  // A write batch touches its keys at about as many places as it has
  // sensors: a large cache keeps those B-tree pages in memory.
  o.writer.cache_kib = 256 * 1024;
  o.reader.cache_kib = 64 * 1024;
  // A query reads pages no query read before (another sensor, another day)
  // mapped instead of copied: scanning a day of one sensor took 45 ms of CPU
  // (20 of them in the kernel) with reads, 13 with the file mapped.
  o.reader.mmap_bytes = std::int64_t{1} << 30;
  // Checkpoints copy each sensor's last pages once, not after every batch
  // (measured: 25 000 rows/s at 1 000 pages, 54 000 at 40 000), and run on a
  // thread of their own: in the writer, each stopped ingest while it copied
  // the WAL (10 000 sensors at 1 s on a database of 1 M rows: lag p99 5 s).
  // Once a second: lag p99 1 s, catch-up 37 000-40 000 rows/s; every 5 s
  // catch-up gained 15% but lag p99 was 2 s.
  o.wal_autocheckpoint_pages = 40'000;
  o.checkpoint_interval = std::chrono::seconds(1);
  return o;
}

}  // namespace

namespace detail {

void open_sqlite_store(asio::any_io_executor ex, storage::database_url url, store_options options,
                       storage::diagnostics* diag, open_handler h) {
  auto store =
      std::make_shared<sqlite_store>(ex, "sqlite:" + url.target, database_options(options));
  // Each step runs on the handler's executor, as the handler itself will.
  const auto handler_ex = asio::get_associated_executor(h, ex);
  auto& db = store->db();
  db.async_open(
      url.target, *diag,
      asio::bind_executor(handler_ex, [store, diag, handler_ex,
                                       h = std::move(h)](error_code ec) mutable {
        if (ec) return std::move(h)(ec, nullptr);
        store->db().async_write(
            [](storage::sqlite::connection& c) {
              storage::sqlite::apply_migrations(c, sqlite_migrations());
            },
            *diag,
            asio::bind_executor(handler_ex, [store, handler_ex,
                                             h = std::move(h)](error_code ec) mutable {
              if (!ec) return std::move(h)(ec, std::move(store));
              // Closed before it is released: closing is file I/O, which
              // the destructor would otherwise wait for on this thread.
              auto& db = store->db();
              db.async_close(asio::bind_executor(
                  handler_ex, [store = std::move(store), ec, h = std::move(h)](error_code) mutable {
                    store.reset();
                    std::move(h)(ec, nullptr);
                  }));
            }));
      }));
}

}  // namespace detail
}  // namespace historian
