#include "nats_asio/detail/pub_ack.hpp"

#include <charconv>

#include "nats_asio/detail/js_json.hpp"

namespace nats_asio::detail {
namespace {

// A cursor over the answer's bytes; each step skips the blanks before it
// (the server writes `{"stream":"S", "seq":1}`) and consumes what it matched.
struct reader {
  std::string_view rest;

  void skip_blanks() {
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  }
  bool literal(std::string_view text) {
    skip_blanks();
    if (!rest.starts_with(text)) return false;
    rest.remove_prefix(text.size());
    return true;
  }
  // A string without escapes (names and domains have none); the escaped
  // ones are left to the full parse.
  bool plain_string(std::string_view& out) {
    if (!literal("\"")) return false;
    const auto end = rest.find_first_of("\"\\");
    if (end == std::string_view::npos || rest[end] != '"') return false;
    out = rest.substr(0, end);
    rest.remove_prefix(end + 1);
    return true;
  }
  bool number(std::uint64_t& out) {
    skip_blanks();
    auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), out);
    if (ec != std::errc{} || ptr == rest.data()) return false;
    rest.remove_prefix(static_cast<std::size_t>(ptr - rest.data()));
    return true;
  }
  bool boolean(bool& out) {
    if (literal("true")) {
      out = true;
      return true;
    }
    if (literal("false")) {
      out = false;
      return true;
    }
    return false;
  }
};

}  // namespace

bool parse_plain_pub_ack(std::string_view payload, pub_ack& out) {
  reader r{payload};
  std::string_view stream;
  if (!r.literal("{") || !r.literal("\"stream\"") || !r.literal(":") || !r.plain_string(stream))
    return false;
  std::uint64_t sequence = 0;
  bool has_sequence = false, duplicate = false;
  while (!r.literal("}")) {
    std::string_view key, domain;
    if (!r.literal(",") || !r.plain_string(key) || !r.literal(":")) return false;
    if (key == "seq" && !has_sequence) {
      if (!r.number(sequence)) return false;
      has_sequence = true;
    } else if (key == "duplicate") {
      if (!r.boolean(duplicate)) return false;
    } else if (key != "domain" || !r.plain_string(domain)) {
      return false;
    }
  }
  r.skip_blanks();
  if (!has_sequence || !r.rest.empty()) return false;
  out.stream = stream;
  out.sequence = sequence;
  out.duplicate = duplicate;
  return true;
}

std::pair<error_code, pub_ack> parse_pub_ack(std::string_view payload) {
  pub_ack ack;
  if (parse_plain_pub_ack(payload, ack)) return {error_code{}, std::move(ack)};
  auto r = parse_api_response(payload);
  if (r.error) return {r.error, pub_ack{}};
  if (auto* v = r.body.if_contains("stream"); v && v->is_string()) ack.stream = v->get_string();
  if (auto* v = r.body.if_contains("seq"); v && v->is_number())
    ack.sequence = v->to_number<std::uint64_t>();
  if (auto* v = r.body.if_contains("duplicate"); v && v->is_bool()) ack.duplicate = v->get_bool();
  return {error_code{}, std::move(ack)};
}

}  // namespace nats_asio::detail
