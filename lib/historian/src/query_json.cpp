#include "historian/query_json.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "historian/export.hpp"
#include "iot/duration.hpp"
#include "iot/sensor_id.hpp"

namespace historian {
namespace json = boost::json;

namespace {

// The request's object; "" and an empty object for an empty request.
bool parse_request(std::string_view text, json::object& out, std::string& error) {
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return true;
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec) {
    error = "the request is not JSON: " + ec.message();
    return false;
  }
  if (!v.is_object()) {
    error = "the request is not a JSON object";
    return false;
  }
  out = std::move(v.as_object());
  return true;
}

bool field_string(const json::object& o, const char* name, bool required, std::string& out,
                  std::string& error) {
  const auto* v = o.if_contains(name);
  if (!v) {
    if (required) error = std::string("field \"") + name + "\" is missing";
    return !required;
  }
  if (!v->is_string()) {
    error = std::string("field \"") + name + "\" must be a string";
    return false;
  }
  out = std::string(v->as_string());
  return true;
}

bool field_time(const json::object& o, const char* name, iot::clock::time_point& out,
                std::string& error) {
  std::string text;
  if (!field_string(o, name, true, text, error)) return false;
  auto t = iot::parse_rfc3339(text);
  if (!t) {
    error = std::string("field \"") + name + "\" must be an RFC 3339 time, got \"" + text + "\"";
    return false;
  }
  out = *t;
  return true;
}

bool field_limit(const json::object& o, std::size_t& out, std::string& error) {
  const auto* v = o.if_contains("limit");
  if (!v) return true;
  const auto n = v->is_uint64()                       ? v->as_uint64()
                 : v->is_int64() && v->as_int64() > 0 ? static_cast<std::uint64_t>(v->as_int64())
                                                      : 0;
  if (n < 1 || n > max_page_rows) {
    error = "field \"limit\" must be a whole number from 1 to " + std::to_string(max_page_rows);
    return false;
  }
  out = static_cast<std::size_t>(n);
  return true;
}

bool sensor_and_range(const json::object& o, std::string& sensor, iot::clock::time_point& from,
                      iot::clock::time_point& to, std::string& error) {
  if (!field_string(o, "sensor_id", true, sensor, error)) return false;
  if (auto e = iot::sensor_id_error(sensor); !e.empty()) {
    error = "field \"sensor_id\": " + e;
    return false;
  }
  if (!field_time(o, "from", from, error) || !field_time(o, "to", to, error)) return false;
  if (!(from < to)) {
    error = "\"from\" must be before \"to\"";
    return false;
  }
  return true;
}

}  // namespace

std::optional<range_query> range_query_from_json(std::string_view text, std::string& error) {
  json::object o;
  range_query q;
  q.limit = default_page_rows;
  if (!parse_request(text, o, error) || !sensor_and_range(o, q.sensor_id, q.from, q.to, error) ||
      !field_limit(o, q.limit, error))
    return std::nullopt;
  std::string cursor_text;
  if (!field_string(o, "cursor", false, cursor_text, error)) return std::nullopt;
  if (!cursor_text.empty()) {
    q.after = decode_cursor(cursor_text);
    if (!q.after) {
      error = "field \"cursor\" is not a cursor this server made";
      return std::nullopt;
    }
  }
  if (const auto* v = o.if_contains("revisions")) {
    if (!v->is_bool()) {
      error = "field \"revisions\" must be true or false";
      return std::nullopt;
    }
    q.all_revisions = v->as_bool();
  }
  return q;
}

std::optional<bucket_query> bucket_query_from_json(std::string_view text, std::string& error) {
  json::object o;
  bucket_query q;
  if (!parse_request(text, o, error) || !sensor_and_range(o, q.sensor_id, q.from, q.to, error))
    return std::nullopt;
  std::string step_text;
  if (!field_string(o, "step", true, step_text, error)) return std::nullopt;
  if (auto e = iot::parse_duration(step_text, q.step); !e.empty() || q.step.count() <= 0) {
    error = "field \"step\": " + (e.empty() ? std::string("must be positive") : e);
    return std::nullopt;
  }
  const auto span = std::chrono::duration_cast<std::chrono::milliseconds>(q.to - q.from);
  if (span / q.step >= static_cast<std::int64_t>(max_buckets)) {
    error = "\"step\" " + step_text + " makes more than " + std::to_string(max_buckets) +
            " buckets: choose a longer step or a shorter range";
    return std::nullopt;
  }
  return q;
}

std::optional<latest_query> latest_query_from_json(std::string_view text, std::string& error) {
  json::object o;
  latest_query q;
  if (!parse_request(text, o, error) || !field_string(o, "after", false, q.after, error) ||
      !field_limit(o, q.limit, error))
    return std::nullopt;
  return q;
}

std::string to_json(const range_query& q) {
  json::object o{{"sensor_id", q.sensor_id},
                 {"from", iot::format_rfc3339(q.from)},
                 {"to", iot::format_rfc3339(q.to)},
                 {"limit", q.limit}};
  if (q.after) o["cursor"] = encode_cursor(*q.after);
  if (q.all_revisions) o["revisions"] = true;
  return json::serialize(o);
}

std::string to_json(const bucket_query& q) {
  return json::serialize(json::object{{"sensor_id", q.sensor_id},
                                      {"from", iot::format_rfc3339(q.from)},
                                      {"to", iot::format_rfc3339(q.to)},
                                      {"step", iot::format_duration(q.step)}});
}

std::string to_json(const latest_query& q) {
  json::object o{{"limit", q.limit}};
  if (!q.after.empty()) o["after"] = q.after;
  return json::serialize(o);
}

std::string page_to_json(const page& p) {
  json::array rows;
  rows.reserve(p.rows.size());
  for (const auto& r : p.rows) rows.push_back(to_json(r));
  json::object o{{"rows", std::move(rows)}};
  if (p.next) o["next"] = encode_cursor(*p.next);
  return json::serialize(o);
}

std::string buckets_to_json(const bucket_query& q, const std::vector<bucket>& buckets) {
  json::array out;
  out.reserve(buckets.size());
  for (const auto& b : buckets) out.push_back(to_json(b));
  return json::serialize(json::object{{"step_ms", q.step.count()}, {"buckets", std::move(out)}});
}

std::string latest_to_json(const std::vector<stored_measurement>& all, const latest_query& q) {
  auto it = std::upper_bound(
      all.begin(), all.end(), q.after,
      [](const std::string& after, const stored_measurement& r) { return after < r.sensor_id; });
  json::array rows;
  for (; it != all.end() && rows.size() < q.limit; ++it) rows.push_back(to_json(*it));
  json::object o{{"rows", std::move(rows)}};
  if (it != all.end()) o["next"] = std::prev(it)->sensor_id;
  return json::serialize(o);
}

std::string stats_to_json(const store_stats& s) {
  return json::serialize(json::object{{"measurements", s.measurements},
                                      {"rejected", s.rejected},
                                      {"sensors", s.sensors},
                                      {"bytes", s.bytes}});
}

std::optional<page_reply> page_from_json(std::string_view text, std::string& error) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  const auto* o = ec ? nullptr : v.if_object();
  const auto* rows = o ? o->if_contains("rows") : nullptr;
  if (!rows || !rows->is_array()) {
    error = "the reply has no \"rows\" array";
    return std::nullopt;
  }
  page_reply p;
  for (const auto& r : rows->as_array()) {
    auto row = row_from_json(r, error);
    if (!row) return std::nullopt;
    p.rows.push_back(std::move(*row));
  }
  if (const auto* next = o->if_contains("next"); next && next->is_string())
    p.next = std::string(next->as_string());
  return p;
}

std::optional<std::vector<bucket>> buckets_from_json(std::string_view text, std::string& error) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  const auto* o = ec ? nullptr : v.if_object();
  const auto* list = o ? o->if_contains("buckets") : nullptr;
  if (!list || !list->is_array()) {
    error = "the reply has no \"buckets\" array";
    return std::nullopt;
  }
  std::vector<bucket> out;
  for (const auto& b : list->as_array()) {
    auto parsed = bucket_from_json(b, error);
    if (!parsed) return std::nullopt;
    out.push_back(*parsed);
  }
  return out;
}

}  // namespace historian
