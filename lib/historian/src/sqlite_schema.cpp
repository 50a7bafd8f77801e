#include "sqlite_schema.hpp"

#include <array>

namespace historian::detail {
namespace {

// Why the tables look as they do:
// - `sensors` gives each sensor_id a small integer, which keeps every key short.
// - `measurements` is clustered by (sensor, ts, lecture_id, revision): a
//   range or a bucket query reads one sensor's rows in order, without a
//   lookup per row. The unique index is the deduplication key; it is the
//   second (and only other) B-tree an insert touches.
// - `superseded` marks rows whose lecture has a higher revision stored, so
//   that queries of the latest revisions need no lookup per row either.
// - `latest` keeps a copy of each sensor's latest row and its row count:
//   "latest of every sensor" and the row total read one row per sensor.
// - ts and received_ms are milliseconds since the Unix epoch (UTC).
constexpr std::string_view initial_schema = R"sql(
CREATE TABLE sensors (
  id INTEGER PRIMARY KEY,
  sensor_id TEXT NOT NULL UNIQUE
) STRICT;

CREATE TABLE measurements (
  sensor INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  lecture_id INTEGER NOT NULL,
  revision INTEGER NOT NULL,
  superseded INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  value REAL NOT NULL,
  lecture TEXT NOT NULL,
  unit TEXT NOT NULL,
  stream_seq INTEGER NOT NULL,
  PRIMARY KEY (sensor, ts, lecture_id, revision)
) STRICT, WITHOUT ROWID;

CREATE UNIQUE INDEX measurements_key ON measurements (sensor, lecture_id, revision);

CREATE TABLE latest (
  sensor INTEGER PRIMARY KEY,
  row_count INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  lecture_id INTEGER NOT NULL,
  revision INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  value REAL NOT NULL,
  lecture TEXT NOT NULL,
  unit TEXT NOT NULL,
  stream_seq INTEGER NOT NULL
) STRICT;

CREATE TABLE rejected (
  stream_seq INTEGER PRIMARY KEY,
  subject TEXT NOT NULL,
  reason TEXT NOT NULL,
  payload BLOB NOT NULL,
  received_ms INTEGER NOT NULL
) STRICT;
)sql";

constexpr std::array<storage::migration, 1> migrations{{
    {1, "sensors, measurements, latest and rejected tables", initial_schema},
}};

}  // namespace

std::span<const storage::migration> sqlite_migrations() { return migrations; }

}  // namespace historian::detail
