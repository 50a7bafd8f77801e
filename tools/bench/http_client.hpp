// A keep-alive HTTP/1.1 connection on Beast for the benchmark's own timed
// requests, and a reader of a server-sent event stream.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/verb.hpp>
#include <functional>
#include <ostream>  // Boost 1.81's string_view, under Beast, uses it undeclared
#include <string>

namespace bench {

struct http_reply {
  unsigned status = 0;
  std::string body;
};

class http_connection {
 public:
  explicit http_connection(boost::beast::tcp_stream stream) : stream_(std::move(stream)) {}
  // To 127.0.0.1:port; throws on failure.
  static boost::asio::awaitable<http_connection> open(unsigned short port);

  // One request and its response; throws on a broken connection.
  boost::asio::awaitable<http_reply> request(boost::beast::http::verb method,
                                             const std::string& target, std::string body = {},
                                             const std::string& content_type = {});

  // GET `target` as an event stream: calls on_event(type, data) for each
  // event until the stream ends or the connection is closed (close()).
  // Throws unless the response is 200.
  boost::asio::awaitable<void> follow_events(
      const std::string& target,
      const std::function<void(const std::string& type, const std::string& data)>& on_event);

  void close();

 private:
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace bench
