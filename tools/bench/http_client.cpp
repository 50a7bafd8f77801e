#include "http_client.hpp"

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

namespace bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::as_tuple;
using asio::awaitable;
using asio::use_awaitable;

awaitable<http_connection> http_connection::open(unsigned short port) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  co_await stream.async_connect({asio::ip::make_address("127.0.0.1"), port}, use_awaitable);
  stream.socket().set_option(asio::ip::tcp::no_delay(true));
  co_return http_connection(std::move(stream));
}

awaitable<http_reply> http_connection::request(bhttp::verb method, const std::string& target,
                                               std::string body, const std::string& content_type) {
  bhttp::request<bhttp::string_body> req{method, target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  if (!content_type.empty()) req.set(bhttp::field::content_type, content_type);
  req.body() = std::move(body);
  req.prepare_payload();
  co_await bhttp::async_write(stream_, req, use_awaitable);
  bhttp::response<bhttp::string_body> res;
  co_await bhttp::async_read(stream_, buffer_, res, use_awaitable);
  co_return http_reply{res.result_int(), std::move(res.body())};
}

awaitable<void> http_connection::follow_events(
    const std::string& target,
    const std::function<void(const std::string&, const std::string&)>& on_event) {
  bhttp::request<bhttp::empty_body> req{bhttp::verb::get, target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  req.set(bhttp::field::accept, "text/event-stream");
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
    // Events end with a blank line; each field is "name: value".
    std::size_t end;
    while ((end = pending.find("\n\n")) != std::string::npos) {
      std::string type, data;
      std::size_t at = 0;
      while (at < end) {
        const auto eol = pending.find('\n', at);
        const auto line = pending.substr(at, eol - at);
        if (line.starts_with("event: ")) type = line.substr(7);
        if (line.starts_with("data: ")) data += line.substr(6);
        at = eol + 1;
      }
      if (!data.empty()) on_event(type, data);
      pending.erase(0, end + 2);
    }
  }
}

void http_connection::close() {
  beast::error_code ignored;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
}

}  // namespace bench
