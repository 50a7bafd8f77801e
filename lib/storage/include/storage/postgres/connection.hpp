// One PostgreSQL connection driven by libpq's non-blocking interface on an
// Asio executor: the connection's socket (PQsocket) is watched with a
// posix::stream_descriptor, and libpq is called only when it is ready, so
// nothing blocks the thread that runs the executor.
//
// Operations take any completion token; the handler runs on its associated
// executor (default: the connection's). One operation at a time: a second
// one while another is in flight completes with errc::busy (queue them
// above, as a pool or a store does).
//
// Failures: a SQLSTATE maps to postgres::errc (error.hpp) with the server's
// text and the SQLSTATE in `diagnostics`; a server that went away fails the
// operation in flight with storage::errc::connection_lost, and the next
// operation connects again by itself. A connection found dead while idle
// (the server restarted) is replaced before the next statement is sent.
// Deadlines: connecting has one; a statement has one when `statement_timeout`
// is set: it then fails with errc::timed_out and the connection is dropped
// (libpq cannot cancel without blocking before PostgreSQL 17).
//
// Lifetime: the connection must outlive its operations. Cancellation per
// operation is not supported. Host names are resolved by libpq itself,
// synchronously: give numeric addresses (or hostaddr=) where that matters.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <exception>
#include <string>
#include <utility>

#include "storage/diagnostics.hpp"
#include "storage/postgres/error.hpp"
#include "storage/postgres/params.hpp"
#include "storage/postgres/result.hpp"

struct pg_conn;

namespace storage::postgres {

namespace asio = boost::asio;
using boost::system::error_code;

struct connection_options {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds statement_timeout{0};  // 0: none
};

class connection {
 public:
  using executor_type = asio::any_io_executor;

  // `conninfo`: a postgresql:// URI or key=value pairs, as libpq takes them.
  // Nothing happens until the first operation.
  connection(executor_type ex, std::string conninfo, connection_options options = {});
  ~connection();  // closes the connection (without waiting for the server)
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  executor_type get_executor() const noexcept { return executor_; }
  bool is_open() const noexcept;  // connected, as far as is known
  void close() noexcept;          // drops the connection; the next operation reconnects
  // The backend's process id (0 when not connected): for tests and logs.
  int backend_pid() const noexcept;

  // Connects (again, if connected): void(error_code).
  template <class Token>
  auto async_connect(diagnostics& diag, Token&& token) {
    return asio::async_initiate<Token, void(error_code)>(
        [this](auto handler, diagnostics* d) {
          spawn(connect_op(d), std::move(handler),
                [](auto& h, error_code ec) { asio::dispatch(asio::append(std::move(h), ec)); });
        },
        token, &diag);
  }

  // Runs one statement (with parameters) or, without parameters, one or
  // more statements separated by ';' (their last result is given):
  // void(error_code, result). Connects first when needed.
  template <class Token>
  auto async_query(std::string sql, params p, diagnostics& diag, Token&& token) {
    return asio::async_initiate<Token, void(error_code, result)>(
        [this](auto handler, std::string s, params ps, diagnostics* d) {
          spawn(query_op(std::move(s), std::move(ps), d), std::move(handler),
                [](auto& h, std::pair<error_code, result> r) {
                  asio::dispatch(asio::append(std::move(h), r.first, std::move(r.second)));
                });
        },
        token, std::move(sql), std::move(p), &diag);
  }

  // async_query for statements whose rows do not matter:
  // void(error_code, std::uint64_t affected_rows).
  template <class Token>
  auto async_exec(std::string sql, params p, diagnostics& diag, Token&& token) {
    return asio::async_initiate<Token, void(error_code, std::uint64_t)>(
        [this](auto handler, std::string s, params ps, diagnostics* d) {
          spawn(query_op(std::move(s), std::move(ps), d), std::move(handler),
                [](auto& h, std::pair<error_code, result> r) {
                  const std::uint64_t n = r.first ? 0 : r.second.affected_rows();
                  asio::dispatch(asio::append(std::move(h), r.first, n));
                });
        },
        token, std::move(sql), std::move(p), &diag);
  }

 private:
  using wait_type = asio::posix::descriptor_base::wait_type;

  // Runs `op` on the connection's executor, then hands its value to the
  // handler on the handler's own executor.
  // co_spawn completes on the connection's executor; from there, `deliver`
  // dispatches to the handler's own executor, if it has one.
  template <class T, class Handler, class Deliver>
  void spawn(asio::awaitable<T> op, Handler handler, Deliver deliver) {
    asio::co_spawn(executor_, std::move(op),
                   [h = std::move(handler), deliver](std::exception_ptr e, T value) mutable {
                     if (e) value = failed<T>();
                     deliver(h, std::move(value));
                   });
  }
  template <class T>
  static T failed() {
    if constexpr (std::is_same_v<T, error_code>) {
      return make_error_code(errc::server_error);
    } else {
      return T{make_error_code(errc::server_error), typename T::second_type{}};
    }
  }

  asio::awaitable<error_code> connect_op(diagnostics* diag);
  asio::awaitable<std::pair<error_code, result>> query_op(std::string sql, params p,
                                                          diagnostics* diag);
  asio::awaitable<error_code> connect(diagnostics* diag);
  asio::awaitable<error_code> wait(wait_type what);
  bool usable();
  void arm_deadline(std::chrono::milliseconds after);
  void disarm_deadline();
  error_code watch_socket();
  void release_socket() noexcept;
  error_code connection_error(diagnostics* diag, errc fallback);

  executor_type executor_;
  std::string conninfo_;
  connection_options options_;
  pg_conn* conn_ = nullptr;
  asio::posix::stream_descriptor socket_;
  asio::steady_timer deadline_;
  std::uint64_t deadline_generation_ = 0;
  bool timed_out_ = false;
  bool busy_ = false;
};

}  // namespace storage::postgres
