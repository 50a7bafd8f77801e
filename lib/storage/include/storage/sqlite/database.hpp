// A SQLite database on Asio: one writer connection on its own thread and
// N read-only connections on N reader threads, in WAL mode so that readers
// never block the writer. Callables run with a connection on those threads
// (SQLite's file I/O and lock waits never touch the caller's io_context) and
// complete the operation with their result on the handler's executor.
//
// Operations (any completion token):
// - async_open(path, diag, token): void(error_code). Opens the writer (the
//   file is created when missing; its directory must exist), switches to
//   WAL, then the readers. Once only.
// - async_write(fn, diag, token) / async_read(fn, diag, token): fn is
//   R(connection&), run on the writer / on a free reader, one call at a
//   time per connection, in the order started on the writer;
//   void(error_code) when R is void, else void(error_code, R). Failures are
//   thrown from fn as database_error (the code, and the text that `diag`
//   receives) or any system_error.
// - async_close(token): void(error_code). The work queued before runs, then
//   the connections close (the writer last, which checkpoints the WAL).
//   Operations started later fail with storage::errc::closed.
// Handlers run on their associated executor, by default this database's.
// Not cancellable: work that has started commits or rolls back as a whole.
// Thread safety: operations may be started from any thread. Destroying the
// database closes it as async_close would and waits for its threads: call
// async_close first to wait without blocking.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <thread>
#include <type_traits>
#include <vector>

#include "storage/diagnostics.hpp"
#include "storage/error.hpp"
#include "storage/sqlite/connection.hpp"
#include "storage/sqlite/detail/call_job.hpp"

namespace storage::sqlite {

namespace detail {
class database_core;
}

struct database_options {
  std::size_t readers = 2;  // at least 1
  // The writer checkpoints the WAL once it holds this many pages. Every
  // checkpoint syncs the file; a page written by many transactions is
  // copied once per checkpoint, so a larger WAL costs fewer writes.
  int wal_autocheckpoint_pages = 1000;
  // Non-zero: the writer never checkpoints; a thread of its own does, with
  // its own connection, this often, without blocking the writer (PASSIVE),
  // and blocking it only to empty a WAL past wal_autocheckpoint_pages
  // (TRUNCATE), which then has little left to copy. A checkpoint in the
  // writer stops every write while it copies the whole WAL.
  std::chrono::milliseconds checkpoint_interval{0};
  connection_options writer;
  connection_options reader;
};

class database {
 public:
  using executor_type = boost::asio::any_io_executor;

  // Starts the threads; opens nothing yet.
  explicit database(executor_type ex, database_options options = {});
  ~database();
  database(const database&) = delete;
  database& operator=(const database&) = delete;

  executor_type get_executor() const noexcept { return executor_; }

  template <class Token>
  auto async_open(std::filesystem::path path, diagnostics& diag, Token&& token) {
    return boost::asio::async_initiate<Token, void(error_code)>(
        [this](auto handler, std::filesystem::path p, diagnostics* d) {
          push_write(detail::make_call_job<void>(open_callable(std::move(p)), std::move(handler), d,
                                                 executor_));
        },
        token, std::move(path), &diag);
  }

  template <class Fn, class Token>
  auto async_write(Fn fn, diagnostics& diag, Token&& token) {
    using result = std::invoke_result_t<Fn&, connection&>;
    return boost::asio::async_initiate<Token, typename detail::signature_of<result>::type>(
        [this](auto handler, Fn f, diagnostics* d) {
          push_write(detail::make_call_job<result>(needing_connection(std::move(f)),
                                                   std::move(handler), d, executor_));
        },
        token, std::move(fn), &diag);
  }

  template <class Fn, class Token>
  auto async_read(Fn fn, diagnostics& diag, Token&& token) {
    using result = std::invoke_result_t<Fn&, connection&>;
    return boost::asio::async_initiate<Token, typename detail::signature_of<result>::type>(
        [this](auto handler, Fn f, diagnostics* d) {
          push_read(detail::make_call_job<result>(needing_connection(std::move(f)),
                                                  std::move(handler), d, executor_));
        },
        token, std::move(fn), &diag);
  }

  template <class Token>
  auto async_close(Token&& token) {
    return boost::asio::async_initiate<Token, void(error_code)>(
        [this](auto handler) {
          close(detail::make_call_job<void>([](connection*) {}, std::move(handler), nullptr,
                                            executor_));
        },
        token);
  }

 private:
  // A callable that fails with errc::closed when given no connection.
  template <class Fn>
  static auto needing_connection(Fn fn) {
    return [fn = std::move(fn)](connection* c) mutable {
      if (!c) throw database_error(make_error_code(errc::closed), "the database is not open");
      return fn(*c);
    };
  }

  std::function<void(connection*)> open_callable(std::filesystem::path path);
  void push_write(detail::job_ptr j);
  void push_read(detail::job_ptr j);
  // `done` runs (with no connection) once every connection is closed.
  void close(detail::job_ptr done);

  executor_type executor_;
  std::shared_ptr<detail::database_core> core_;
  std::vector<std::thread> threads_;
};

}  // namespace storage::sqlite
