#include "storage/postgres/connection.hpp"

#include <libpq-fe.h>

#include <boost/asio/use_awaitable.hpp>
#include <vector>

#include "storage/database_url.hpp"
#include "storage/error.hpp"

namespace storage::postgres {
namespace {

// libpq's messages span lines ("...failed: Connection refused\n\tIs the
// server running...?"): one line, no password.
std::string one_line(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == '\n' || c == '\t' || c == '\r' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return mask_secrets(out);
}

void set(diagnostics* diag, std::string text) {
  if (diag) diag->assign(std::move(text));
}

// Marks an operation busy for its duration.
class busy_guard {
 public:
  explicit busy_guard(bool& busy) : busy_(busy) { busy_ = true; }
  ~busy_guard() { busy_ = false; }
  busy_guard(const busy_guard&) = delete;
  busy_guard& operator=(const busy_guard&) = delete;

 private:
  bool& busy_;
};

}  // namespace

connection::connection(executor_type ex, std::string conninfo, connection_options options)
    : executor_(std::move(ex)),
      conninfo_(std::move(conninfo)),
      options_(options),
      socket_(executor_),
      deadline_(executor_) {}

connection::~connection() { close(); }

bool connection::is_open() const noexcept {
  return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK;
}

int connection::backend_pid() const noexcept { return is_open() ? PQbackendPID(conn_) : 0; }

void connection::close() noexcept {
  release_socket();
  if (conn_ != nullptr) {
    // Non-blocking: PQfinish sends Terminate if the socket takes it, no more.
    PQfinish(conn_);
    conn_ = nullptr;
  }
}

// libpq owns the descriptor: Asio only watches it, and lets go of it
// without closing it.
void connection::release_socket() noexcept {
  if (socket_.is_open()) {
    error_code ignored;
    socket_.cancel(ignored);
    socket_.release();
  }
}

error_code connection::watch_socket() {
  release_socket();
  const int fd = PQsocket(conn_);
  if (fd < 0) return make_error_code(errc::connection_failure);
  error_code ec;
  socket_.assign(fd, ec);
  return ec;
}

void connection::arm_deadline(std::chrono::milliseconds after) {
  timed_out_ = false;
  const std::uint64_t generation = ++deadline_generation_;
  if (after.count() <= 0) return;
  deadline_.expires_after(after);
  deadline_.async_wait([this, generation](error_code ec) {
    if (ec || generation != deadline_generation_) return;
    timed_out_ = true;
    error_code ignored;
    socket_.cancel(ignored);
  });
}

void connection::disarm_deadline() {
  ++deadline_generation_;
  deadline_.cancel();
}

asio::awaitable<error_code> connection::wait(wait_type what) {
  auto [ec] = co_await socket_.async_wait(what, asio::as_tuple(asio::use_awaitable));
  if (timed_out_) co_return make_error_code(errc::timed_out);
  co_return ec;
}

// A connection that went dead while idle (the server closed it: restart,
// idle timeout) shows it when its input is read: PQconsumeInput then finds
// the end of the stream (after, perhaps, the server's last message).
bool connection::usable() {
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) return false;
  for (int i = 0; i < 2 && PQstatus(conn_) == CONNECTION_OK; ++i) {
    if (PQconsumeInput(conn_) == 0) break;
  }
  return PQstatus(conn_) == CONNECTION_OK;
}

error_code connection::connection_error(diagnostics* diag, errc fallback) {
  set(diag, one_line(conn_ ? PQerrorMessage(conn_) : "out of memory"));
  return make_error_code(fallback);
}

asio::awaitable<error_code> connection::connect_op(diagnostics* diag) {
  if (busy_) {
    set(diag, "an operation is in progress on this connection");
    co_return make_error_code(errc::busy);
  }
  busy_guard guard(busy_);
  co_return co_await connect(diag);
}

asio::awaitable<error_code> connection::connect(diagnostics* diag) {
  close();
  char* parse_error = nullptr;
  if (PQconninfoOption* parsed = PQconninfoParse(conninfo_.c_str(), &parse_error)) {
    PQconninfoFree(parsed);
  } else {
    set(diag, "invalid connection string " + mask_secrets(conninfo_) + ": " +
                  one_line(parse_error ? parse_error : "out of memory"));
    PQfreemem(parse_error);
    co_return make_error_code(errc::bad_connection_string);
  }
  conn_ = PQconnectStart(conninfo_.c_str());
  if (conn_ == nullptr) co_return connection_error(diag, errc::connection_failure);
  // Failed at once (a host name that does not resolve): still `where` + `why`.
  if (PQstatus(conn_) == CONNECTION_BAD) {
    set(diag,
        "cannot connect to " + mask_secrets(conninfo_) + ": " + one_line(PQerrorMessage(conn_)));
    close();
    co_return make_error_code(errc::connection_failure);
  }
  PQsetnonblocking(conn_, 1);
  // libpq would print the server's notices on stderr, from this thread.
  PQsetNoticeProcessor(
      conn_, [](void*, const char*) {}, nullptr);
  arm_deadline(options_.connect_timeout);
  // PQconnectPoll may close its socket and open another (next address,
  // SSL refused): watch whichever socket it has before each wait.
  PostgresPollingStatusType poll = PGRES_POLLING_WRITING;
  error_code ec;
  while (poll != PGRES_POLLING_OK) {
    if (poll == PGRES_POLLING_FAILED || (ec = watch_socket())) {
      // libpq's reason does not always say where it tried.
      set(diag,
          "cannot connect to " + mask_secrets(conninfo_) + ": " + one_line(PQerrorMessage(conn_)));
      ec = make_error_code(errc::connection_failure);
      break;
    }
    ec =
        co_await wait(poll == PGRES_POLLING_READING ? wait_type::wait_read : wait_type::wait_write);
    if (ec) {
      if (ec == errc::timed_out) {
        set(diag, "no connection to " + mask_secrets(conninfo_) + " within " +
                      std::to_string(options_.connect_timeout.count()) + " ms");
      }
      break;
    }
    poll = PQconnectPoll(conn_);
  }
  disarm_deadline();
  if (ec) {
    close();
    co_return ec;
  }
  if ((ec = watch_socket())) close();
  co_return ec;
}

asio::awaitable<std::pair<error_code, result>> connection::query_op(std::string sql, params p,
                                                                    diagnostics* diag) {
  using outcome = std::pair<error_code, result>;
  if (busy_) {
    set(diag, "an operation is in progress on this connection");
    co_return outcome{make_error_code(errc::busy), result{}};
  }
  busy_guard guard(busy_);
  if (!usable()) {
    if (auto ec = co_await connect(diag)) co_return outcome{ec, result{}};
  }

  std::vector<const char*> values;
  values.reserve(p.size());
  for (const auto& v : p) values.push_back(v ? v->c_str() : nullptr);
  const int sent = p.empty() ? PQsendQuery(conn_, sql.c_str())
                             : PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(p.size()),
                                                 nullptr, values.data(), nullptr, nullptr, 0);
  // Lost (or given up on) after this point: the server may have run the
  // statement, so the caller hears connection_lost, never a plain failure.
  auto lost = [&](error_code ec) {
    if (ec == errc::timed_out) {
      set(diag, "no answer from the server within " +
                    std::to_string(options_.statement_timeout.count()) + " ms");
    } else {
      set(diag, one_line(PQerrorMessage(conn_)));
      ec = storage::errc::connection_lost;
    }
    close();
    return outcome{ec, result{}};
  };
  if (sent == 0) {
    if (PQstatus(conn_) == CONNECTION_BAD) co_return lost({});
    co_return outcome{connection_error(diag, errc::server_error), result{}};
  }

  arm_deadline(options_.statement_timeout);
  error_code ec;
  int flushed;
  while ((flushed = PQflush(conn_)) == 1) {
    // The server may answer (an error) before it has read everything.
    if (PQconsumeInput(conn_) == 0) break;
    if ((ec = co_await wait(wait_type::wait_write))) break;
  }
  if (flushed != 0 || ec) {
    disarm_deadline();
    co_return lost(ec);
  }

  result last;
  error_code failure;
  for (;;) {
    if (PQconsumeInput(conn_) == 0) break;
    bool done = false;
    while (PQisBusy(conn_) == 0) {
      PGresult* r = PQgetResult(conn_);
      if (r == nullptr) {
        done = true;
        break;
      }
      result res(r);
      const auto status = PQresultStatus(r);
      if (status == PGRES_FATAL_ERROR || status == PGRES_NONFATAL_ERROR ||
          status == PGRES_BAD_RESPONSE) {
        if (!failure) {
          const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
          failure = make_error_code(state ? errc_from_sqlstate(state) : errc::server_error);
          std::string text = one_line(PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
                                          ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
                                          : PQresultErrorMessage(r));
          if (state) text += std::string(" (SQLSTATE ") + state + ")";
          set(diag, std::move(text));
        }
      } else {
        last = std::move(res);
      }
    }
    if (done) break;
    if ((ec = co_await wait(wait_type::wait_read))) break;
  }
  disarm_deadline();
  if (ec || PQstatus(conn_) == CONNECTION_BAD) {
    // A shutting-down server says why before it closes (57P01): keep that.
    if (failure && !ec) {
      close();
      co_return outcome{storage::errc::connection_lost, result{}};
    }
    co_return lost(ec);
  }
  if (failure) co_return outcome{failure, result{}};
  co_return outcome{error_code{}, std::move(last)};
}

}  // namespace storage::postgres
