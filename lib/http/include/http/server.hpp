// An HTTP/1.1 server on Boost.Beast, on the caller's io_context, one
// coroutine per connection: keep-alive, optional TLS, limits on headers,
// body, time and connections, problem responses for what no handler sees
// (a malformed request, an unknown route, a wrong method, a body too large,
// a missing token), server-sent event routes, and a stop that lets requests
// in flight finish and ends event streams cleanly. Knows routes, not what
// they mean.
//
// Not thread-safe: the server, its handlers and its event streams run on
// the executor given (one thread, or a strand); stop() may be called from
// anywhere.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>  // Boost 1.81's string_view, under Beast, uses it undeclared
#include <string>

#include "http/event_stream.hpp"
#include "http/path.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"

namespace http {

using request = boost::beast::http::request<boost::beast::http::string_body>;
using response = boost::beast::http::response<boost::beast::http::string_body>;
using field = boost::beast::http::field;

struct limits {
  std::size_t header_bytes = 8 * 1024;
  std::size_t body_bytes = 64 * 1024;  // more: 413
  // To read one whole request once its first byte came: a client sending a
  // byte a second is cut off. Also bounds a TLS handshake.
  std::chrono::milliseconds request_time{10'000};
  // Between requests on a kept-alive connection.
  std::chrono::milliseconds idle_time{30'000};
  // To write one response, or one batch of events.
  std::chrono::milliseconds write_time{30'000};
  std::size_t connections = 256;  // more are accepted and closed at once
  // Unwritten events a stream may hold before its client is cut off.
  std::size_t event_buffer_bytes = 1024 * 1024;
  // A comment line on an event stream silent this long, so that proxies
  // and clients can tell a quiet stream from a dead one.
  std::chrono::milliseconds event_heartbeat{15'000};
};

// One answered request, for logs and metrics.
struct request_record {
  verb method;
  std::string_view route;  // the matched pattern; "" when no route matched
  unsigned status;
  std::chrono::steady_clock::duration elapsed;  // to the response written
};

struct server_options {
  http::limits limits;
  // Requests under `token_prefix` need "Authorization: Bearer <token>"
  // (401 otherwise); empty: no token asked.
  std::string bearer_token;
  std::string token_prefix = "/";
  // Browsers from this origin ("https://host:port", or "*") may call the
  // routes (CORS); empty: no cross-origin access.
  std::string cors_origin;
  // Serves HTTPS when set (load_tls in tls.hpp).
  std::shared_ptr<boost::asio::ssl::context> tls;
  // Called for each answered request, on the server's executor.
  std::function<void(const request_record&)> on_request;
};

// What a handler gets besides the request.
struct request_context {
  const request& req;
  const target& where;        // the decoded path and query
  const path_params& params;  // the route's {parameters}
};

using handler = std::function<boost::asio::awaitable<response>(const request_context&)>;

// A GET route serving events. `check` answers before any event: a problem
// (a bad parameter, say) is sent instead of the stream; nullopt opens it.
// `run` then sends events until it returns, or until it is cancelled
// (terminal cancellation) because the client left, the client fell behind,
// or the server is stopping.
struct event_route {
  std::function<std::optional<problem>(const request_context&)> check;
  std::function<boost::asio::awaitable<void>(const request_context&, event_stream&)> run;
};

// A response with `body` of `content_type`, the request's version and
// keep-alive.
response make_response(const request& req, unsigned status, std::string body,
                       std::string_view content_type = "application/json");
// An RFC 9457 problem response.
response make_problem(const request& req, const problem& p);

class server {
 public:
  using executor_type = boost::asio::any_io_executor;

  server(executor_type ex, server_options options = {});
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  // Routes, added before run(). Throw std::invalid_argument for a malformed
  // pattern or a method and pattern given twice.
  void add(verb method, std::string_view pattern, handler h);
  void add_events(std::string_view pattern, event_route r);

  // Binds and listens; returns "" or what and where ("127.0.0.1:8080:
  // Address already in use").
  std::string listen(const boost::asio::ip::tcp::endpoint& at);
  boost::asio::ip::tcp::endpoint local_endpoint() const;

  // Accepts until stop(); returns once every connection has ended.
  boost::asio::awaitable<void> run();
  // Stops accepting; idle connections close, requests in flight are
  // answered (with Connection: close), event streams end after what they
  // have queued, then their connections close.
  void stop();

  std::size_t open_event_streams() const;

  struct state;  // shared by the server and its connections

 private:
  std::shared_ptr<state> state_;
};

}  // namespace http
