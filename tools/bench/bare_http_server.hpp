// The limit an API route is compared with: a minimal coroutine Beast server
// on one thread (as iot-server's HTTP runs on one), reading each request and
// answering a fixed small JSON body, with keep-alive. Nothing else.
#pragma once

#include <boost/asio/io_context.hpp>
#include <thread>

namespace bench {

class bare_http_server {
 public:
  // Listens on 127.0.0.1 and a free port, serving on a thread of its own.
  bare_http_server();
  ~bare_http_server();
  bare_http_server(const bare_http_server&) = delete;
  bare_http_server& operator=(const bare_http_server&) = delete;

  unsigned short port() const { return port_; }

 private:
  boost::asio::io_context ioc_;
  unsigned short port_ = 0;
  std::thread thread_;
};

}  // namespace bench
