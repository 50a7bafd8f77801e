// A client: one keep-alive HTTP/1.1 connection on Beast, for requests one
// after another, or for following a server-sent event stream. For tests,
// tools and programs that call an HTTP API; plain HTTP only.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/verb.hpp>
#include <functional>
#include <ostream>  // Boost 1.81's string_view, under Beast, uses it undeclared
#include <string>
#include <utility>
#include <vector>

#include "http/event_stream.hpp"

namespace http {

using verb = boost::beast::http::verb;  // as in router.hpp

struct client_reply {
  unsigned status = 0;
  std::string body;
};

class client {
 public:
  client(boost::beast::tcp_stream stream, std::string host)
      : stream_(std::move(stream)), host_(std::move(host)) {}
  // Connects to `at`; throws boost::system::system_error on failure.
  static boost::asio::awaitable<client> open(boost::asio::ip::tcp::endpoint at);

  // One request and its response (any status), with `extra` headers
  // (name, value); throws
  // boost::system::system_error when the connection fails.
  boost::asio::awaitable<client_reply> request(
      verb method, const std::string& target, std::string body = {},
      const std::string& content_type = {},
      const std::vector<std::pair<std::string, std::string>>& extra = {});

  // GET `target` as an event stream: calls on_event for each event (its
  // data lines joined with '\n') until the stream ends or the connection is
  // closed (close()). Throws unless the response is 200.
  // `last_event_id`: sent as Last-Event-ID when not empty.
  boost::asio::awaitable<void> follow_events(const std::string& target,
                                             const std::string& last_event_id,
                                             const std::function<void(const event&)>& on_event);

  void close();

 private:
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::string host_;  // the Host header: "address:port"
};

}  // namespace http
