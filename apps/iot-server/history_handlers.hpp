// History queries answered from the store: a JSON request in, a JSON reply
// or an error with a status out. The same handlers serve NATS requests
// (history_service.hpp) and, later, HTTP ones.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "historian/measurement_store.hpp"

namespace server {

struct history_reply {
  // 200; 400 for a request that is wrong (body: the reason); 503 when the
  // database cannot answer now.
  int status = 200;
  std::string body;
};

class history_handlers {
 public:
  explicit history_handlers(std::shared_ptr<historian::measurement_store> store)
      : store_(std::move(store)) {}

  boost::asio::awaitable<history_reply> range(std::string_view request);
  boost::asio::awaitable<history_reply> buckets(std::string_view request);
  boost::asio::awaitable<history_reply> latest(std::string_view request);
  boost::asio::awaitable<history_reply> stats(std::string_view request);

 private:
  std::shared_ptr<historian::measurement_store> store_;
};

}  // namespace server
