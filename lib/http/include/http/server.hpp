// An HTTP/1.1 server on Boost.Beast, on the caller's io_context, one
// coroutine per connection: keep-alive, limits on headers, body, time and
// connections, problem responses for what no handler sees (a malformed
// request, an unknown route, a wrong method, a body too large), and a stop
// that lets requests in flight finish. Knows routes, not what they mean.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <ostream>  // Boost 1.81's string_view, under Beast, uses it undeclared
#include <string>

#include "http/path.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"

namespace http {

using request = boost::beast::http::request<boost::beast::http::string_body>;
using response = boost::beast::http::response<boost::beast::http::string_body>;

struct limits {
  std::size_t header_bytes = 8 * 1024;
  std::size_t body_bytes = 64 * 1024;  // more: 413
  // To read one whole request once its first byte came: a client sending a
  // byte a second is cut off.
  std::chrono::milliseconds request_time{10'000};
  // Between requests on a kept-alive connection.
  std::chrono::milliseconds idle_time{30'000};
  // To write one response.
  std::chrono::milliseconds write_time{30'000};
  std::size_t connections = 256;  // more are accepted and closed at once
};

// What a handler gets besides the request.
struct request_context {
  const request& req;
  const target& where;        // the decoded path and query
  const path_params& params;  // the route's {parameters}
};

using handler = std::function<boost::asio::awaitable<response>(const request_context&)>;

// A response with `body` of `content_type`, the request's version and
// keep-alive.
response make_response(const request& req, unsigned status, std::string body,
                       std::string_view content_type = "application/json");
// An RFC 9457 problem response.
response make_problem(const request& req, const problem& p);

class server {
 public:
  using executor_type = boost::asio::any_io_executor;

  server(executor_type ex, router<handler> routes, limits l = {});
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Binds and listens; the error says what and where ("127.0.0.1:8080:
  // Address already in use").
  std::string listen(const boost::asio::ip::tcp::endpoint& at);
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  // Accepts until stop(); returns once every connection has ended.
  boost::asio::awaitable<void> run();
  // Stops accepting; idle connections close, requests in flight are
  // answered (with Connection: close), then their connections close.
  void stop();

  struct state;  // shared by the server and its connections

 private:
  std::shared_ptr<state> state_;
};

}  // namespace http
