#include "retention.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "iot/duration.hpp"

namespace server {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;

retention::retention(std::shared_ptr<historian::measurement_store> store,
                     std::chrono::milliseconds keep, const apps::logger& log)
    : store_(std::move(store)), keep_(keep), log_(log), timer_(store_->get_executor()) {}

void retention::stop() {
  stopping_ = true;
  timer_.cancel();
}

asio::awaitable<void> retention::run() {
  log_.info("retention: deleting measurements older than " + iot::format_duration(keep_));
  while (!stopping_) {
    const auto cutoff = iot::clock::now() - keep_;
    std::size_t round = 0;
    for (;;) {
      storage::diagnostics diag;
      auto [ec, n] = co_await store_->async_delete_before(cutoff, rows_per_transaction, diag,
                                                          as_tuple(use_awaitable));
      if (ec) {
        // Ingest reports a database that fails for good; retention tries
        // again at its next check.
        log_.warn("retention: " + (diag.message().empty() ? ec.message() : diag.message()));
        break;
      }
      round += n;
      if (n < rows_per_transaction || stopping_) break;
    }
    deleted_ += round;
    if (round > 0) log_.info("retention: deleted " + std::to_string(round) + " measurements");
    timer_.expires_after(check_every);
    co_await timer_.async_wait(as_tuple(use_awaitable));
  }
}

}  // namespace server
