#include "bare_http_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <ostream>  // Boost 1.81's string_view, under Beast, uses it undeclared

namespace bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::as_tuple;
using asio::awaitable;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

namespace {

awaitable<void> serve(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    bhttp::request<bhttp::string_body> req;
    auto [rec, n] = co_await bhttp::async_read(stream, buffer, req, as_tuple(use_awaitable));
    if (rec) co_return;
    bhttp::response<bhttp::string_body> res{bhttp::status::ok, req.version()};
    res.set(bhttp::field::content_type, "application/json");
    res.keep_alive(req.keep_alive());
    res.body() = R"({"sensor_id":"cfg-1","interval":"10s","interval_ms":10000})";
    res.prepare_payload();
    auto [wec, w] = co_await bhttp::async_write(stream, res, as_tuple(use_awaitable));
    if (wec || !res.keep_alive()) co_return;
  }
}

awaitable<void> accept(tcp::acceptor& acceptor) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(as_tuple(use_awaitable));
    if (ec == asio::error::operation_aborted) co_return;
    if (!ec) asio::co_spawn(acceptor.get_executor(), serve(std::move(socket)), asio::detached);
  }
}

}  // namespace

bare_http_server::bare_http_server() {
  auto acceptor =
      std::make_shared<tcp::acceptor>(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  port_ = acceptor->local_endpoint().port();
  asio::co_spawn(
      ioc_, [acceptor]() -> awaitable<void> { co_await accept(*acceptor); }, asio::detached);
  thread_ = std::thread([this] { ioc_.run(); });
}

bare_http_server::~bare_http_server() {
  ioc_.stop();
  thread_.join();
}

}  // namespace bench
