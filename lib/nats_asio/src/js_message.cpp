#include "nats_asio/js_message.hpp"

#include <charconv>
#include <vector>

#include "nats_asio/detail/connection_core.hpp"

namespace nats_asio {
namespace {

std::vector<std::string_view> split_tokens(std::string_view s) {
  std::vector<std::string_view> out;
  while (true) {
    auto dot = s.find('.');
    out.push_back(s.substr(0, dot));
    if (dot == std::string_view::npos) break;
    s.remove_prefix(dot + 1);
  }
  return out;
}

bool to_u64(std::string_view s, std::uint64_t& out) {
  return !s.empty() && std::from_chars(s.data(), s.data() + s.size(), out).ec == std::errc{} &&
         std::from_chars(s.data(), s.data() + s.size(), out).ptr == s.data() + s.size();
}

}  // namespace

std::optional<js_metadata> parse_ack_subject(std::string_view reply) {
  auto t = split_tokens(reply);
  if (t.size() < 9 || t[0] != "$JS" || t[1] != "ACK") return std::nullopt;
  js_metadata m;
  std::size_t base = 2;
  if (t.size() >= 11) {  // v2: $JS.ACK.<domain>.<account hash>.<stream>...
    m.domain = t[2] == "_" ? "" : std::string(t[2]);
    base = 4;
  } else if (t.size() != 9) {
    return std::nullopt;
  }
  m.stream = t[base];
  m.consumer = t[base + 1];
  std::uint64_t ns = 0;
  if (!to_u64(t[base + 2], m.num_delivered) || !to_u64(t[base + 3], m.stream_sequence) ||
      !to_u64(t[base + 4], m.consumer_sequence) || !to_u64(t[base + 5], ns) ||
      !to_u64(t[base + 6], m.num_pending))
    return std::nullopt;
  m.timestamp = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(ns)));
  return m;
}

std::string js_message::nak_body(std::chrono::milliseconds delay) {
  if (delay.count() <= 0) return "-NAK";
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(delay).count();
  return "-NAK {\"delay\": " + std::to_string(ns) + "}";
}

error_code js_message::ack() {
  auto core = core_.lock();
  if (!core) return errc::connection_closed;
  if (msg_.reply.empty()) return errc::invalid_argument;
  return core->publish(msg_.reply, {}, {}, "+ACK");
}

void js_message::start_send(std::string body, const detail::completion_ptr<>& c) {
  auto core = core_.lock();
  if (!core) {
    c->fail(errc::connection_closed);
    return;
  }
  if (msg_.reply.empty()) {
    c->fail(errc::invalid_argument);
    return;
  }
  c->commit();  // the ack goes out at once
  // The server answers an ack sent as a request once it has processed it.
  auto reply = detail::make_inline_completion<message>(
      executor_, [c](error_code ec, message) { c->complete(ec); });
  c->on_finish([reply] { reply->fail(boost::asio::error::operation_aborted); });
  core->request(msg_.reply, {}, body, confirm_timeout, reply);
}

}  // namespace nats_asio
