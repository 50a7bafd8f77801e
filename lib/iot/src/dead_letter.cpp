#include "iot/dead_letter.hpp"

#include <boost/json.hpp>

#include "text.hpp"

namespace iot {

namespace {

std::string base64(std::string_view bytes) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const auto n = static_cast<unsigned char>(bytes[i]) << 16 |
                   static_cast<unsigned char>(bytes[i + 1]) << 8 |
                   static_cast<unsigned char>(bytes[i + 2]);
    out += alphabet[n >> 18 & 63];
    out += alphabet[n >> 12 & 63];
    out += alphabet[n >> 6 & 63];
    out += alphabet[n & 63];
  }
  if (const auto rest = bytes.size() - i; rest > 0) {
    auto n = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += alphabet[n >> 18 & 63];
    out += alphabet[n >> 12 & 63];
    out += rest == 2 ? alphabet[n >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

// The longest prefix of UTF-8 text `s` of at most `limit` bytes that ends on
// a character boundary.
std::string_view utf8_prefix(std::string_view s, std::size_t limit) {
  std::size_t end = 0;
  while (end < s.size()) {
    const auto n = detail::utf8_sequence_length(s, end);
    if (n == 0 || end + n > limit) break;
    end += n;
  }
  return s.substr(0, end);
}

}  // namespace

std::string dead_letter_id(std::string_view sensor_id, std::uint64_t stream_sequence) {
  std::string id(sensor_id);
  id += ":dl:";
  id += std::to_string(stream_sequence);
  return id;
}

std::string encode(const dead_letter& d) {
  boost::json::object o;
  o["sensor_id"] = d.sensor_id;
  o["subject"] = d.subject;
  o["stream_sequence"] = d.stream_sequence;
  o["reason"] = d.reason;
  o["received_at"] = format_rfc3339(d.received_at);
  o["payload_bytes"] = d.payload.size();
  std::string_view kept;
  if (detail::is_valid_utf8(d.payload)) {
    kept = utf8_prefix(d.payload, dead_letter_payload_limit);
    o["payload"] = kept;
  } else {
    kept = std::string_view(d.payload).substr(0, dead_letter_payload_limit);
    o["payload_base64"] = base64(kept);
  }
  if (kept.size() < d.payload.size()) o["truncated"] = true;
  return boost::json::serialize(o);
}

}  // namespace iot
