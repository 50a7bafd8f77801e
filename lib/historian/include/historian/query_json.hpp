// History requests and replies as JSON, the same over NATS and HTTP.
//
// range:   {"sensor_id", "from", "to" (RFC 3339), "limit"?, "cursor"?, "revisions"?}
//       -> {"rows": [row...], "next"?: cursor}
// buckets: {"sensor_id", "from", "to", "step" ("1m", "500ms")}
//       -> {"step_ms", "buckets": [bucket...]}
// latest:  {"after"?: sensor_id, "limit"?} -> {"rows": [row...], "next"?: sensor_id}
// Rows and buckets as in export.hpp.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "historian/queries.hpp"

namespace historian {

inline constexpr std::size_t default_page_rows = 1000;
// A reply stays under NATS's default 1 MB payload limit.
inline constexpr std::size_t max_page_rows = 2000;
inline constexpr std::size_t max_buckets = 10000;

struct latest_query {
  std::string after;  // sensors after this id ("": from the first)
  std::size_t limit = default_page_rows;
};

// nullopt and a one-line `error` naming the field when the request is wrong.
std::optional<range_query> range_query_from_json(std::string_view text, std::string& error);
std::optional<bucket_query> bucket_query_from_json(std::string_view text, std::string& error);
std::optional<latest_query> latest_query_from_json(std::string_view text, std::string& error);

std::string to_json(const range_query& q);
std::string to_json(const bucket_query& q);
std::string to_json(const latest_query& q);

std::string page_to_json(const page& p);
std::string buckets_to_json(const bucket_query& q, const std::vector<bucket>& buckets);
// The page of `all` (sorted by sensor_id) that `q` asks for.
std::string latest_to_json(const std::vector<stored_measurement>& all, const latest_query& q);
std::string stats_to_json(const store_stats& s);

// For clients: a page ({"rows", "next"?}) as a reply holds it.
struct page_reply {
  std::vector<stored_measurement> rows;
  std::string next;  // "" when done
};
std::optional<page_reply> page_from_json(std::string_view text, std::string& error);
std::optional<std::vector<bucket>> buckets_from_json(std::string_view text, std::string& error);

}  // namespace historian
