// Retention: rows older than the retention period are deleted in the
// background, a small batch per transaction, so that neither ingest nor a
// query waits long behind it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>

#include "../common/logger.hpp"
#include "historian/measurement_store.hpp"

namespace server {

class retention {
 public:
  static constexpr std::size_t rows_per_transaction = 1000;
  static constexpr std::chrono::seconds check_every{60};

  retention(std::shared_ptr<historian::measurement_store> store, std::chrono::milliseconds keep,
            const apps::logger& log);

  // Deletes until nothing is older than the period, then checks again
  // every check_every; until stop().
  boost::asio::awaitable<void> run();
  void stop();

  std::uint64_t deleted() const noexcept { return deleted_; }

 private:
  std::shared_ptr<historian::measurement_store> store_;
  std::chrono::milliseconds keep_;
  const apps::logger& log_;
  boost::asio::steady_timer timer_;
  bool stopping_ = false;
  std::uint64_t deleted_ = 0;
};

}  // namespace server
