// History queries answered from the store: a JSON request in, a JSON reply
// or an error with a status out. The same handlers serve NATS requests
// (history_service.hpp) and, later, HTTP ones.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>
#include <string_view>

#include "historian/measurement_store.hpp"
#include "ingest.hpp"

namespace server {

struct history_reply {
  // 200; 400 for a request that is wrong (body: the reason); 503 when the
  // database cannot answer now.
  int status = 200;
  std::string body;
};

class history_handlers {
 public:
  // `ingest`: this process's ingest counters, reported by stats() (null
  // when it does not ingest).
  history_handlers(std::shared_ptr<historian::measurement_store> store,
                   const ingest_counters* ingest)
      : store_(std::move(store)), ingest_(ingest) {}

  boost::asio::awaitable<history_reply> range(std::string_view request);
  boost::asio::awaitable<history_reply> buckets(std::string_view request);
  boost::asio::awaitable<history_reply> latest(std::string_view request);
  // The store's counts, and this process's ingest counters with the lag
  // histogram: {"measurements", "rejected", "sensors", "bytes", "ingest"?:
  // {"stored", "duplicates", "rejected", "batches", "write_retries",
  //  "lag_ms": {"le": [bounds...], "at_most": [cumulative counts..., total]}}}
  boost::asio::awaitable<history_reply> stats(std::string_view request);

 private:
  std::shared_ptr<historian::measurement_store> store_;
  const ingest_counters* ingest_;
};

}  // namespace server
