#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>

#include "api_routes.hpp"

namespace server {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::awaitable;
using asio::use_awaitable;

namespace {

constexpr std::size_t default_limit = 100;
constexpr std::size_t max_limit = 1000;
// Messages read back from the newest at most, whatever the filter: the
// stream has no "previous message on this subject".
constexpr std::uint64_t max_scanned = 10'000;

awaitable<http::response> deadletters(const deadletter_sources& src,
                                      const http::request_context& c) {
  for (const auto& [name, value] : c.where.query)
    if (name != "sensor" && name != "limit")
      co_return http::make_problem(c.req, {400, "unknown query parameter \"" + name + "\""});
  std::string error;
  const auto sensor = http::query_value(c.where, "sensor", error);
  std::size_t limit = default_limit;
  if (const auto text = http::query_value(c.where, "limit", error)) {
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), limit);
    if (ec != std::errc() || end != text->data() + text->size() || limit == 0 || limit > max_limit)
      co_return http::make_problem(
          c.req, {400, "limit must be a whole number from 1 to " + std::to_string(max_limit) +
                           " (got \"" + *text + "\")"});
  }
  if (!error.empty()) co_return http::make_problem(c.req, {400, error});
  if (!src.js || !src.nats.connected)
    co_return http::make_problem(c.req, {503, "NATS is not reachable from iot-server now"});

  const auto& stream = src.names.deadletter_stream;
  auto [iec, info] = co_await src.js->async_stream_info(stream, as_tuple(use_awaitable));
  if (iec == nats_asio::make_jetstream_error(nats_asio::js_err::stream_not_found))
    co_return http::make_response(c.req, 200, R"({"deadletters":[],"more":false})");
  if (iec) co_return http::make_problem(c.req, {503, "stream " + stream + ": " + iec.message()});
  const auto subject = sensor ? src.names.deadletter_of(*sensor) : std::string();

  boost::json::array out;
  std::uint64_t seq = info.state.last_sequence, scanned = 0;
  const auto first = info.state.first_sequence;
  for (; seq >= first && seq > 0 && out.size() < limit && scanned < max_scanned; --seq, ++scanned) {
    auto [gec, msg] = co_await src.js->async_get_message(stream, seq, as_tuple(use_awaitable));
    if (gec == nats_asio::make_jetstream_error(nats_asio::js_err::message_not_found)) continue;
    if (gec) co_return http::make_problem(c.req, {503, "stream " + stream + ": " + gec.message()});
    if (!subject.empty() && msg.subject != subject) continue;
    boost::system::error_code pec;
    auto letter = boost::json::parse(msg.payload, pec);
    boost::json::object o;
    if (!pec && letter.is_object())
      o = std::move(letter.as_object());
    else
      o["unreadable"] = msg.payload;  // not written by a sensor of this project
    o["deadletter_sequence"] = msg.sequence;
    o["deadletter_subject"] = msg.subject;
    out.push_back(std::move(o));
  }
  // More may be older than what was read: the list or the scan stopped short.
  const bool more = seq >= first && seq > 0;
  boost::json::object body{{"deadletters", std::move(out)}, {"more", more}};
  co_return http::make_response(c.req, 200, boost::json::serialize(body));
}

}  // namespace

void add_deadletter_routes(http::server& s, const deadletter_sources& src) {
  s.add(http::verb::get, "/api/v1/deadletters",
        [&src](const http::request_context& c) { return deadletters(src, c); });
}

}  // namespace server
