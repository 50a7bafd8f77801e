#include "historian/export.hpp"

#include <boost/json/value.hpp>
#include <charconv>
#include <cmath>

namespace historian {
namespace json = boost::json;

namespace {

void append_field(std::string& out, std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += text;
    return;
  }
  out += '"';
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

// Shortest text that reads back as the same double.
void append_number(std::string& out, double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc() ? end : buf);
}

bool read_u64(const json::object& o, const char* name, std::uint64_t& out, std::string& error) {
  const auto* v = o.if_contains(name);
  if (v && v->is_uint64()) {
    out = v->as_uint64();
    return true;
  }
  if (v && v->is_int64() && v->as_int64() >= 0) {
    out = static_cast<std::uint64_t>(v->as_int64());
    return true;
  }
  error = std::string("field \"") + name + "\": expected a whole number";
  return false;
}

bool read_double(const json::object& o, const char* name, double& out, std::string& error) {
  const auto* v = o.if_contains(name);
  if (v && v->is_number()) {
    out = v->to_number<double>();
    return true;
  }
  error = std::string("field \"") + name + "\": expected a number";
  return false;
}

bool read_string(const json::object& o, const char* name, std::string& out, std::string& error) {
  const auto* v = o.if_contains(name);
  if (v && v->is_string()) {
    out = std::string(v->as_string());
    return true;
  }
  error = std::string("field \"") + name + "\": expected a string";
  return false;
}

bool read_time(const json::object& o, const char* name, iot::clock::time_point& out,
               std::string& error) {
  std::string text;
  if (!read_string(o, name, text, error)) return false;
  auto t = iot::parse_rfc3339(text);
  if (!t) {
    error = std::string("field \"") + name + "\": expected an RFC 3339 time";
    return false;
  }
  out = *t;
  return true;
}

}  // namespace

std::string csv_header() {
  return "sensor_id,lecture_id,revision,seq,timestamp,value,lecture,unit,stream_seq\n";
}

void append_csv(std::string& out, const stored_measurement& r) {
  append_field(out, r.sensor_id);
  out += ',' + std::to_string(r.lecture_id) + ',' + std::to_string(r.revision) + ',' +
         std::to_string(r.seq) + ',' + iot::format_rfc3339(r.ts) + ',';
  append_number(out, r.value);
  out += ',';
  append_field(out, r.lecture);
  out += ',';
  append_field(out, r.unit);
  out += ',' + std::to_string(r.stream_seq) + '\n';
}

std::string bucket_csv_header() { return "start,min,max,avg,count,last\n"; }

void append_csv(std::string& out, const bucket& b) {
  out += iot::format_rfc3339(b.start);
  for (double v : {b.min, b.max, b.avg}) {
    out += ',';
    append_number(out, v);
  }
  out += ',' + std::to_string(b.count) + ',';
  append_number(out, b.last);
  out += '\n';
}

json::object to_json(const stored_measurement& r) {
  return {{"sensor_id", r.sensor_id},
          {"lecture_id", r.lecture_id},
          {"revision", r.revision},
          {"seq", r.seq},
          {"timestamp", iot::format_rfc3339(r.ts)},
          {"value", r.value},
          {"lecture", r.lecture},
          {"unit", r.unit},
          {"stream_seq", r.stream_seq}};
}

json::object to_json(const bucket& b) {
  return {{"start", iot::format_rfc3339(b.start)},
          {"min", b.min},
          {"max", b.max},
          {"avg", b.avg},
          {"count", b.count},
          {"last", b.last}};
}

std::optional<stored_measurement> row_from_json(const json::value& v, std::string& error) {
  const auto* o = v.if_object();
  if (!o) {
    error = "a row is not a JSON object";
    return std::nullopt;
  }
  stored_measurement r;
  std::uint64_t revision = 0;
  if (read_string(*o, "sensor_id", r.sensor_id, error) &&
      read_u64(*o, "lecture_id", r.lecture_id, error) &&
      read_u64(*o, "revision", revision, error) && read_u64(*o, "seq", r.seq, error) &&
      read_time(*o, "timestamp", r.ts, error) && read_double(*o, "value", r.value, error) &&
      read_string(*o, "lecture", r.lecture, error) && read_string(*o, "unit", r.unit, error) &&
      read_u64(*o, "stream_seq", r.stream_seq, error)) {
    r.revision = static_cast<std::uint32_t>(revision);
    return r;
  }
  return std::nullopt;
}

std::optional<bucket> bucket_from_json(const json::value& v, std::string& error) {
  const auto* o = v.if_object();
  if (!o) {
    error = "a bucket is not a JSON object";
    return std::nullopt;
  }
  bucket b;
  if (read_time(*o, "start", b.start, error) && read_double(*o, "min", b.min, error) &&
      read_double(*o, "max", b.max, error) && read_double(*o, "avg", b.avg, error) &&
      read_u64(*o, "count", b.count, error) && read_double(*o, "last", b.last, error))
    return b;
  return std::nullopt;
}

}  // namespace historian
