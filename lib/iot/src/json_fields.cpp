#include "json_fields.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/value_stack.hpp>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <system_error>
#include <unordered_set>
#include <vector>

#include "iot/duration.hpp"
#include "iot/sensor_id.hpp"
#include "text.hpp"

namespace iot::detail {
namespace {

// Builds a json::value like Boost.JSON's own parser, except that numbers with
// a fraction or an exponent are converted by std::from_chars (correctly
// rounded; Boost 1.81's own conversion can be one unit in the last place off),
// and that a key repeated within one object stops the parse (Boost would keep
// the last value silently; other decoders may keep the first).
struct precise_handler {
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  json::value_stack st;
  std::string number;  // the text of a number split across on_number_part calls
  std::string key;     // the text of a key split across on_key_part calls
  std::vector<std::unordered_set<std::string>> keys;  // the keys of each open object
  std::optional<std::string> duplicate_key;

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    keys.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t n, json::error_code&) {
    keys.pop_back();
    st.push_object(n);
    return true;
  }
  bool on_array_begin(json::error_code&) { return true; }
  bool on_array_end(std::size_t n, json::error_code&) {
    st.push_array(n);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
    key.append(s.data(), s.size());
    st.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
    key.append(s.data(), s.size());
    if (!keys.back().insert(key).second) {
      duplicate_key = std::move(key);
      ec = json::error::syntax;
      return false;
    }
    key.clear();
    st.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, json::error_code&) {
    st.push_string(s);
    return true;
  }
  bool on_number_part(json::string_view s, json::error_code&) {
    number.append(s.data(), s.size());
    return true;
  }
  bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
    number.clear();
    st.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
    number.clear();
    st.push_uint64(u);
    return true;
  }
  bool on_double(double d, json::string_view s, json::error_code&) {
    number.append(s.data(), s.size());
    double precise = 0;
    const char* end = number.data() + number.size();
    const auto r = std::from_chars(number.data(), end, precise);
    if (r.ec == std::errc{} && r.ptr == end) d = precise;
    number.clear();
    st.push_double(d);
    return true;
  }
  bool on_bool(bool b, json::error_code&) {
    st.push_bool(b);
    return true;
  }
  bool on_null(json::error_code&) {
    st.push_null();
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }
};

std::string kind_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "a number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "a JSON value";
}

// The field, or nullptr; the reason when a required field is missing.
const json::value* find(const json::object& o, std::string_view name, presence p,
                        std::string& reason) {
  const auto* v = o.if_contains(json::string_view(name.data(), name.size()));
  if (!v && p == presence::required) reason = field_error(name, "missing");
  return v;
}

std::string wrong_type(std::string_view name, std::string_view wanted, const json::value& v) {
  return field_error(name, std::string("must be ") + std::string(wanted) + ", not " + kind_name(v));
}

void set_found(bool* found, bool value) {
  if (found) *found = value;
}

// True when `v` is, or holds at any depth, a string or a key that is not UTF-8.
bool holds_invalid_utf8(const json::value& v) {
  if (const auto* s = v.if_string()) return !is_valid_utf8(std::string_view(s->data(), s->size()));
  if (const auto* a = v.if_array()) {
    for (const auto& e : *a)
      if (holds_invalid_utf8(e)) return true;
  } else if (const auto* o = v.if_object()) {
    for (const auto& kv : *o)
      if (!is_valid_utf8(std::string_view(kv.key().data(), kv.key().size())) ||
          holds_invalid_utf8(kv.value()))
        return true;
  }
  return false;
}

// The reason for an object whose text is not UTF-8, naming the top-level field.
std::string invalid_utf8_reason(const json::object& o) {
  for (const auto& kv : o) {
    const std::string_view key(kv.key().data(), kv.key().size());
    if (!is_valid_utf8(key)) return "field name " + quoted(key) + " is not valid UTF-8";
    if (holds_invalid_utf8(kv.value())) return "field " + quoted(key) + ": not valid UTF-8";
  }
  return "not valid UTF-8";
}

}  // namespace

std::string parse_object(std::string_view text, json::object& out) {
  if (text.size() > max_payload_bytes)
    return "payload is " + std::to_string(text.size()) + " bytes, more than the " +
           std::to_string(max_payload_bytes) + "-byte limit";
  json::parse_options opt;
  opt.max_depth = max_json_depth;
  opt.allow_invalid_utf8 = true;  // checked below, so that the reason names the field
  json::basic_parser<precise_handler> p(opt);
  p.handler().st.reset();
  json::error_code ec;
  const auto used = p.write_some(false, text.data(), text.size(), ec);
  if (const auto& dup = p.handler().duplicate_key) return "duplicate field " + quoted(*dup);
  if (ec == json::error::too_deep)
    return "JSON nesting is deeper than " + std::to_string(max_json_depth) + " levels";
  if (ec) return "not valid JSON: " + ec.message();
  if (used != text.size()) return "not valid JSON: extra data after the value";
  json::value v = p.handler().st.release();
  if (!v.is_object()) return "not a JSON object (got " + kind_name(v) + ")";
  // JSON text is UTF-8 (RFC 8259), also in the fields a decoder ignores. The
  // parser let invalid bytes through so that the reason can name the field;
  // \u escapes cannot produce invalid UTF-8 (lone surrogates are syntax errors).
  if (!is_valid_utf8(text)) return invalid_utf8_reason(v.get_object());
  out = std::move(v.get_object());
  return {};
}

std::string field_error(std::string_view name, std::string_view reason) {
  std::string out = "field \"";
  out += name;
  out += "\": ";
  out += reason;
  return out;
}

std::string read_uint(const json::object& o, std::string_view name, presence p, std::uint64_t& out,
                      bool* found) {
  std::string reason;
  const auto* v = find(o, name, p, reason);
  set_found(found, false);
  if (!v) return reason;
  if (v->is_uint64()) {
    out = v->get_uint64();
  } else if (v->is_int64()) {
    if (v->get_int64() < 0)
      return field_error(name, "must be an unsigned integer, not negative (" +
                                   std::to_string(v->get_int64()) + ")");
    out = static_cast<std::uint64_t>(v->get_int64());
  } else if (v->is_double()) {
    // Integers beyond the 64-bit range are read as doubles too.
    const double d = v->get_double();
    if (d == std::trunc(d) && d < 0)
      return field_error(name, "must be an unsigned integer, not negative");
    if (d == std::trunc(d) && d >= 0x1p64)
      return field_error(name, "must be an unsigned integer, at most " +
                                   std::to_string(std::numeric_limits<std::uint64_t>::max()));
    return field_error(name,
                       "must be an unsigned integer, not a number with a fraction or an exponent");
  } else {
    return wrong_type(name, "an unsigned integer", *v);
  }
  set_found(found, true);
  return {};
}

std::string read_number(const json::object& o, std::string_view name, presence p, double& out,
                        bool* found) {
  std::string reason;
  const auto* v = find(o, name, p, reason);
  set_found(found, false);
  if (!v) return reason;
  double d = 0;
  if (v->is_double())
    d = v->get_double();
  else if (v->is_int64())
    d = static_cast<double>(v->get_int64());
  else if (v->is_uint64())
    d = static_cast<double>(v->get_uint64());
  else
    return wrong_type(name, "a number", *v);
  if (!std::isfinite(d)) return field_error(name, "out of the range of a double");
  out = d;
  set_found(found, true);
  return {};
}

std::string read_string(const json::object& o, std::string_view name, presence p, std::string& out,
                        std::size_t max_bytes, bool* found) {
  std::string reason;
  const auto* v = find(o, name, p, reason);
  set_found(found, false);
  if (!v) return reason;
  if (!v->is_string()) return wrong_type(name, "a string", *v);
  const auto& s = v->get_string();
  if (s.size() > max_bytes)
    return field_error(name, std::to_string(s.size()) + " bytes, more than the " +
                                 std::to_string(max_bytes) + "-byte limit");
  const std::string_view text(s.data(), s.size());
  if (!is_valid_utf8(text)) return field_error(name, "not valid UTF-8");
  out.assign(text);
  set_found(found, true);
  return {};
}

std::string read_sensor_id(const json::object& o, std::string_view name, presence p,
                           std::string& out) {
  std::string id;
  bool found = false;
  if (auto e = read_string(o, name, p, id, max_payload_bytes, &found); !e.empty()) return e;
  if (!found) return {};
  if (auto e = sensor_id_error(id); !e.empty()) return field_error(name, e);
  out = std::move(id);
  return {};
}

std::string read_time(const json::object& o, std::string_view name, presence p,
                      clock::time_point& out, bool* found) {
  std::string text;
  bool present = false;
  set_found(found, false);
  if (auto e = read_string(o, name, p, text, max_payload_bytes, &present); !e.empty()) return e;
  if (!present) return {};
  const auto t = parse_rfc3339(text);
  if (!t)
    return field_error(
        name, quoted(text) + " is not an RFC 3339 time stamp (like 2024-05-01T12:00:00.123Z)");
  out = *t;
  set_found(found, true);
  return {};
}

std::string read_object(const json::object& o, std::string_view name, presence p,
                        const json::object*& out) {
  std::string reason;
  out = nullptr;
  const auto* v = find(o, name, p, reason);
  if (!v) return reason;
  if (!v->is_object()) return wrong_type(name, "an object", *v);
  out = &v->get_object();
  return {};
}

std::string read_schema(const json::object& o, int& out) {
  std::string reason;
  const auto* v = find(o, "schema", presence::optional, reason);
  if (!v) return {};
  if (!v->is_int64() && !v->is_uint64()) {
    if (v->is_double()) {
      const double d = v->get_double();
      if (d == std::trunc(d) && std::fabs(d) >= 0x1p63)  // an integer beyond 64 bits
        return field_error("schema", "unsupported schema (expected 1)");
      return field_error("schema", "must be an integer, not a fraction");
    }
    return wrong_type("schema", "an integer", *v);
  }
  if (!v->is_int64() || v->get_int64() != 1)
    return field_error("schema", "unsupported schema " +
                                     (v->is_int64() ? std::to_string(v->get_int64())
                                                    : std::to_string(v->get_uint64())) +
                                     " (expected 1)");
  out = 1;
  return {};
}

std::string read_interval_ms(const json::object& o, std::string_view name, presence p,
                             std::chrono::milliseconds& out) {
  std::uint64_t ms = 0;
  bool found = false;
  if (auto e = read_uint(o, name, p, ms, &found); !e.empty()) return e;
  if (!found) return {};
  if (ms < static_cast<std::uint64_t>(min_interval.count()) ||
      ms > static_cast<std::uint64_t>(max_interval.count()))
    return field_error(name, interval_range_reason(std::to_string(ms)));
  out = std::chrono::milliseconds(static_cast<std::int64_t>(ms));
  return {};
}

void json_writer::key(std::string_view name) {
  if (text_.size() > 1) text_ += ',';
  string_value(name);
  text_ += ':';
}

void json_writer::string_value(std::string_view s) {
  static constexpr char hex[] = "0123456789abcdef";
  text_ += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        text_ += "\\\"";
        break;
      case '\\':
        text_ += "\\\\";
        break;
      case '\b':
        text_ += "\\b";
        break;
      case '\f':
        text_ += "\\f";
        break;
      case '\n':
        text_ += "\\n";
        break;
      case '\r':
        text_ += "\\r";
        break;
      case '\t':
        text_ += "\\t";
        break;
      default:
        if (c < 0x20) {
          text_ += "\\u00";
          text_ += hex[c >> 4];
          text_ += hex[c & 0xF];
        } else {
          text_ += ch;
        }
    }
  }
  text_ += '"';
}

json_writer& json_writer::string(std::string_view name, std::string_view value) {
  key(name);
  string_value(value);
  return *this;
}

json_writer& json_writer::uint(std::string_view name, std::uint64_t value) {
  key(name);
  text_ += std::to_string(value);
  return *this;
}

json_writer& json_writer::integer(std::string_view name, std::int64_t value) {
  key(name);
  text_ += std::to_string(value);
  return *this;
}

json_writer& json_writer::number(std::string_view name, double value) {
  if (!std::isfinite(value)) return *this;
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  key(name);
  text_.append(buf, r.ptr);
  // "-0" reads back as the integer 0: a fraction keeps the sign of a negative zero.
  if (value == 0 && std::signbit(value)) text_ += ".0";
  return *this;
}

json_writer& json_writer::time(std::string_view name, clock::time_point value) {
  return string(name, format_rfc3339(value));
}

json_writer& json_writer::raw(std::string_view name, std::string_view json) {
  key(name);
  text_ += json;
  return *this;
}

std::string json_writer::finish() {
  text_ += '}';
  return std::move(text_);
}

}  // namespace iot::detail
