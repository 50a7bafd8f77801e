// The measurement history in a database, as asynchronous operations: one
// interface, a SQLite and a PostgreSQL implementation (open_store.hpp).
//
// Every operation follows Asio's rules: any completion token (use_awaitable,
// deferred, as_tuple, a callback), the handler
// runs on its associated executor (default: the store's), and nothing
// blocks the calling thread: SQLite work runs on the store's own threads,
// PostgreSQL through libpq's non-blocking interface on an Asio socket.
// On failure, `diagnostics` (when given) receives the database's own text.
//
// Cancellation: not supported per operation; a write is one transaction
// that either commits or not, and a lost connection fails the operation in
// flight with storage::errc::connection_lost (the next one reconnects).
// Thread safety: operations may be started from any thread; the store must
// outlive its operations (hold it in a shared_ptr).
#pragma once

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <string>
#include <vector>

#include "historian/queries.hpp"
#include "historian/write_batch.hpp"
#include "storage/diagnostics.hpp"

namespace historian {

namespace asio = boost::asio;
using boost::system::error_code;

class measurement_store {
 public:
  using executor_type = asio::any_io_executor;

  virtual ~measurement_store() = default;
  measurement_store(const measurement_store&) = delete;
  measurement_store& operator=(const measurement_store&) = delete;

  executor_type get_executor() const noexcept { return executor_; }
  // "sqlite:PATH" or the PostgreSQL URL without its password.
  const std::string& name() const noexcept { return name_; }

  // Writes the batch in one transaction: rows whose (sensor_id, lecture_id,
  // revision) is stored already are skipped, as are rejected messages whose
  // stream_seq is. Completes once committed: void(error_code, write_result).
  template <class Token>
  auto async_write(write_batch batch, storage::diagnostics& diag, Token&& token) {
    return asio::async_initiate<Token, void(error_code, write_result)>(
        [this](auto handler, write_batch b, storage::diagnostics* d) {
          do_write(std::move(b), d, std::move(handler));
        },
        token, std::move(batch), &diag);
  }

  // A sensor's rows in [from, to): void(error_code, page).
  template <class Token>
  auto async_range(range_query query, storage::diagnostics& diag, Token&& token) {
    return asio::async_initiate<Token, void(error_code, page)>(
        [this](auto handler, range_query q, storage::diagnostics* d) {
          do_range(std::move(q), d, std::move(handler));
        },
        token, std::move(query), &diag);
  }

  // Aggregates per bucket: void(error_code, std::vector<bucket>).
  template <class Token>
  auto async_buckets(bucket_query query, storage::diagnostics& diag, Token&& token) {
    return asio::async_initiate<Token, void(error_code, std::vector<bucket>)>(
        [this](auto handler, bucket_query q, storage::diagnostics* d) {
          do_buckets(std::move(q), d, std::move(handler));
        },
        token, std::move(query), &diag);
  }

  // The latest measurement (greatest ts, then lecture_id, latest revision)
  // of every sensor, ordered by sensor_id: void(error_code, std::vector<stored_measurement>).
  template <class Token>
  auto async_latest(storage::diagnostics& diag, Token&& token) {
    return asio::async_initiate<Token, void(error_code, std::vector<stored_measurement>)>(
        [this](auto handler, storage::diagnostics* d) { do_latest(d, std::move(handler)); }, token,
        &diag);
  }

  // Rejected messages with stream_seq > `after`, in that order, at most
  // `limit`: void(error_code, std::vector<rejected_message>).
  template <class Token>
  auto async_rejected(std::uint64_t after, std::size_t limit, storage::diagnostics& diag,
                      Token&& token) {
    return asio::async_initiate<Token, void(error_code, std::vector<rejected_message>)>(
        [this](auto handler, std::uint64_t a, std::size_t l, storage::diagnostics* d) {
          do_rejected(a, l, d, std::move(handler));
        },
        token, after, limit, &diag);
  }

  // Deletes at most `max_rows` measurements with ts < cutoff, in one short
  // transaction, so that retention never holds the writer for long:
  // void(error_code, std::size_t deleted).
  template <class Token>
  auto async_delete_before(iot::clock::time_point cutoff, std::size_t max_rows,
                           storage::diagnostics& diag, Token&& token) {
    return asio::async_initiate<Token, void(error_code, std::size_t)>(
        [this](auto handler, iot::clock::time_point c, std::size_t m, storage::diagnostics* d) {
          do_delete_before(c, m, d, std::move(handler));
        },
        token, cutoff, max_rows, &diag);
  }

  // Row counts and size on disk: void(error_code, store_stats).
  template <class Token>
  auto async_stats(storage::diagnostics& diag, Token&& token) {
    return asio::async_initiate<Token, void(error_code, store_stats)>(
        [this](auto handler, storage::diagnostics* d) { do_stats(d, std::move(handler)); }, token,
        &diag);
  }

  // Finishes the operations in flight, then closes the database: void(error_code).
  template <class Token>
  auto async_close(Token&& token) {
    return asio::async_initiate<Token, void(error_code)>(
        [this](auto handler) { do_close(std::move(handler)); }, token);
  }

 protected:
  measurement_store(executor_type executor, std::string name)
      : executor_(std::move(executor)), name_(std::move(name)) {}

  template <class... Signature>
  using handler = asio::any_completion_handler<Signature...>;

  virtual void do_write(write_batch batch, storage::diagnostics* diag,
                        handler<void(error_code, write_result)> h) = 0;
  virtual void do_range(range_query query, storage::diagnostics* diag,
                        handler<void(error_code, page)> h) = 0;
  virtual void do_buckets(bucket_query query, storage::diagnostics* diag,
                          handler<void(error_code, std::vector<bucket>)> h) = 0;
  virtual void do_latest(storage::diagnostics* diag,
                         handler<void(error_code, std::vector<stored_measurement>)> h) = 0;
  virtual void do_rejected(std::uint64_t after, std::size_t limit, storage::diagnostics* diag,
                           handler<void(error_code, std::vector<rejected_message>)> h) = 0;
  virtual void do_delete_before(iot::clock::time_point cutoff, std::size_t max_rows,
                                storage::diagnostics* diag,
                                handler<void(error_code, std::size_t)> h) = 0;
  virtual void do_stats(storage::diagnostics* diag, handler<void(error_code, store_stats)> h) = 0;
  virtual void do_close(handler<void(error_code)> h) = 0;

 private:
  executor_type executor_;
  std::string name_;
};

}  // namespace historian
