// History queries: a sensor's rows in [from, to), page by page, or in
// buckets of `step`; the latest measurement of every sensor.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "historian/stored_measurement.hpp"

namespace historian {

// Where a page ended: rows are ordered by (ts, lecture_id, revision).
struct cursor {
  std::int64_t ts_ms = 0;
  std::uint64_t lecture_id = 0;
  std::uint32_t revision = 0;

  bool operator==(const cursor&) const = default;
};
// An opaque token for clients ("<ts>.<lecture_id>.<revision>" in base 10).
std::string encode_cursor(const cursor& c);
std::optional<cursor> decode_cursor(std::string_view text);

struct range_query {
  std::string sensor_id;
  iot::clock::time_point from, to;  // [from, to)
  std::size_t limit = 1000;         // rows per page, at least 1
  std::optional<cursor> after;      // continue after this row
  bool all_revisions = false;       // false: only the latest revision of each lecture
};

struct page {
  std::vector<stored_measurement> rows;
  std::optional<cursor> next;  // set when more rows may follow
};

struct bucket_query {
  std::string sensor_id;
  iot::clock::time_point from, to;  // [from, to)
  std::chrono::milliseconds step{60'000};
};

// Buckets start at from + k * step; empty buckets are left out. Latest
// revisions only.
struct bucket {
  iot::clock::time_point start;
  double min = 0, max = 0, avg = 0;
  std::uint64_t count = 0;
  double last = 0;  // the value with the greatest ts in the bucket

  bool operator==(const bucket&) const = default;
};

struct store_stats {
  std::uint64_t measurements = 0;  // rows, every revision
  std::uint64_t rejected = 0;
  std::uint64_t sensors = 0;  // with at least one row
  std::uint64_t bytes = 0;  // on disk: file size or relation sizes with indexes
};

}  // namespace historian
