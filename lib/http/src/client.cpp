#include "http/client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <stdexcept>

namespace http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::as_tuple;
using asio::awaitable;
using asio::use_awaitable;

awaitable<client> client::open(asio::ip::tcp::endpoint at) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  co_await stream.async_connect(at, use_awaitable);
  stream.socket().set_option(asio::ip::tcp::no_delay(true));
  co_return client(std::move(stream), (at.address().is_v6() ? "[" + at.address().to_string() + "]"
                                                            : at.address().to_string()) +
                                          ":" + std::to_string(at.port()));
}

awaitable<client_reply> client::request(
    bhttp::verb method, const std::string& target, std::string body,
    const std::string& content_type,
    const std::vector<std::pair<std::string, std::string>>& extra) {
  bhttp::request<bhttp::string_body> req{method, target, 11};
  req.set(bhttp::field::host, host_);
  if (!content_type.empty()) req.set(bhttp::field::content_type, content_type);
  for (const auto& [name, value] : extra) req.set(name, value);
  req.body() = std::move(body);
  req.prepare_payload();
  co_await bhttp::async_write(stream_, req, use_awaitable);
  bhttp::response<bhttp::string_body> res;
  co_await bhttp::async_read(stream_, buffer_, res, use_awaitable);
  co_return client_reply{res.result_int(), std::move(res.body())};
}

awaitable<void> client::follow_events(const std::string& target, const std::string& last_event_id,
                                      const std::function<void(const event&)>& on_event) {
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, target, 11};
  req.set(bhttp::field::host, host_);
  req.set(bhttp::field::accept, "text/event-stream");
  if (!last_event_id.empty()) req.set("Last-Event-ID", last_event_id);
  co_await bhttp::async_write(stream_, req, use_awaitable);
  bhttp::response_parser<bhttp::buffer_body> parser;
  parser.body_limit(boost::none);
  co_await bhttp::async_read_header(stream_, buffer_, parser, use_awaitable);
  if (parser.get().result_int() != 200)
    throw std::runtime_error("GET " + target + ": status " +
                             std::to_string(parser.get().result_int()));
  std::string pending;
  char piece[16384];
  while (!parser.is_done()) {
    parser.get().body().data = piece;
    parser.get().body().size = sizeof piece;
    // Some progress, not a full body buffer: events come one at a time.
    auto [ec, n] =
        co_await bhttp::async_read_some(stream_, buffer_, parser, as_tuple(use_awaitable));
    if (ec && ec != bhttp::error::need_buffer) co_return;  // closed
    pending.append(piece, sizeof piece - parser.get().body().size);
    // Events end with a blank line.
    std::size_t end;
    while ((end = pending.find("\n\n")) != std::string::npos) {
      event e;
      bool has_data = false;
      std::size_t at = 0;
      while (at < end) {
        const auto eol = pending.find('\n', at);
        const auto line = pending.substr(at, eol - at);
        // "name: value" (the space is optional); a line starting with ':'
        // is a comment.
        const auto colon = line.find(':');
        const auto name = line.substr(0, colon);
        auto value = colon == std::string::npos ? std::string() : line.substr(colon + 1);
        if (value.starts_with(' ')) value.erase(0, 1);
        if (name == "event") e.type = value;
        if (name == "id") e.id = value;
        if (name == "data") {
          if (has_data) e.data += '\n';
          e.data += value;
          has_data = true;
        }
        at = eol + 1;
      }
      if (has_data) on_event(e);  // else a comment (a heartbeat)
      pending.erase(0, end + 2);
    }
  }
}

void client::close() {
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
}

}  // namespace http
