#include "nats_asio/detail/kv_codec.hpp"

#include <charconv>
#include <ctime>

namespace nats_asio::detail {

kv_operation operation_of(const message& msg) {
  auto op = msg.header("KV-Operation");
  if (!op) return kv_operation::put;
  if (*op == "DEL") return kv_operation::erase;
  if (*op == "PURGE") return kv_operation::purge;
  return kv_operation::put;
}

kv_entry entry_from_message(std::string_view bucket, const message& msg, const js_metadata& meta) {
  kv_entry e;
  e.bucket = bucket;
  const std::string prefix = "$KV." + std::string(bucket) + ".";
  std::string_view subject = msg.subject;
  if (subject.starts_with(prefix)) subject.remove_prefix(prefix.size());
  e.key = subject;
  e.value = msg.payload;
  e.revision = meta.stream_sequence;
  e.created = meta.timestamp;
  e.operation = operation_of(msg);
  e.delta = meta.num_pending;
  return e;
}

std::chrono::system_clock::time_point parse_nats_timestamp(std::string_view text) {
  std::tm tm{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (text.size() < 19) return {};
  std::string head(text.substr(0, 19));
  if (head[10] == 'T') head[10] = ' ';  // RFC 3339 ("...T...Z") as well as Go's String()
  if (std::sscanf(head.c_str(), "%d-%d-%d %d:%d:%d", &year, &month, &day, &hour, &minute,
                  &second) != 6)
    return {};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  auto tp = std::chrono::system_clock::from_time_t(timegm(&tm));
  if (text.size() > 20 && text[19] == '.') {
    auto frac = text.substr(20);
    frac = frac.substr(0, frac.find_first_not_of("0123456789"));
    std::int64_t ns = 0;
    std::from_chars(frac.data(), frac.data() + frac.size(), ns);
    for (auto n = frac.size(); n < 9; ++n) ns *= 10;
    tp += std::chrono::duration_cast<std::chrono::system_clock::duration>(
        std::chrono::nanoseconds(ns));
  }
  return tp;
}

error_code entry_from_direct_get(std::string_view bucket, std::string_view key,
                                 const message& reply, kv_entry& out) {
  if (reply.status == 404) return errc::key_not_found;
  if (reply.status != 0) return errc::bad_response;
  auto seq = reply.header("Nats-Sequence");
  if (!seq) return errc::bad_response;
  out.bucket = bucket;
  out.key = key;
  out.value = reply.payload;
  if (std::from_chars(seq->data(), seq->data() + seq->size(), out.revision).ec != std::errc{})
    return errc::bad_response;
  if (auto ts = reply.header("Nats-Time-Stamp")) out.created = parse_nats_timestamp(*ts);
  out.operation = operation_of(reply);
  return {};
}

}  // namespace nats_asio::detail
