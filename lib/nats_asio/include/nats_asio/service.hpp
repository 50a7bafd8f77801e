// A NATS service after the NATS service API (the "micro" protocol, ADR-32):
// endpoints answering requests in a queue group, discoverable through
// `$SRV.PING`, `$SRV.INFO` and `$SRV.STATS`. Requests are pulled with
// service_endpoint::async_receive and answered whenever the work is done
// (after a database query, on any thread): a request owns its message.
// Executors, cancellation, lifetimes, thread safety: README, "Asynchronous
// operations"; each comment below adds what is particular to its function.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "nats_asio/detail/completion.hpp"
#include "nats_asio/error.hpp"
#include "nats_asio/message.hpp"

namespace nats_asio {

class connection;

namespace detail {
struct access;
class connection_core;
class endpoint_stats;
struct endpoint_state;
struct service_state;
}  // namespace detail

// Header names of an error reply.
inline constexpr std::string_view service_error_header = "Nats-Service-Error";
inline constexpr std::string_view service_error_code_header = "Nats-Service-Error-Code";

struct service_config {
  std::string name;         // [A-Za-z0-9_-]+, shared by every instance of the service
  std::string version;      // semantic version ("1.2.0", "2.0.0-rc.1+build.5")
  std::string description;  // free text, shown by $SRV.INFO
  std::map<std::string, std::string> metadata;
};

struct endpoint_config {
  std::string name;     // [A-Za-z0-9_-]+, e.g. "range"
  std::string subject;  // e.g. "history.range"; wildcards allowed ("*", a final ">")
  // Instances of a service in the same group share the requests; empty: no
  // queue group, every instance gets every request.
  std::string queue_group = "q";
  std::map<std::string, std::string> metadata;
};

// One request received by an endpoint. Owns its message: keep it as long as
// the answer takes. Answer it once, with respond or respond_error; a request
// destroyed without an answer still counts as a request in the endpoint's
// statistics (its processing time ending then), as does one answered.
// Movable (a moved-from request has nothing to answer). Its functions may be
// called from any thread, as connection::publish, but not concurrently on
// the same request.
class service_request {
 public:
  // An empty request (nothing to answer), as a failed receive delivers.
  service_request() = default;
  ~service_request();
  service_request(service_request&& other) noexcept = default;
  service_request& operator=(service_request&& other) noexcept;

  const message& msg() const noexcept { return msg_; }
  const std::string& subject() const noexcept { return msg_.subject; }
  const std::string& payload() const noexcept { return msg_.payload; }

  // Buffered reply to the request's reply subject (non-blocking, like
  // connection::publish); records the request's processing time (from its
  // arrival to this call) in the endpoint's statistics. A request without a
  // reply subject (a plain publish) expects no answer: it is recorded and
  // nothing is sent. Errors: errc::invalid_argument (answered already, or an
  // empty or moved-from request); errc::connection_closed (the connection's
  // state is gone); a publish error (errc::not_connected, a nats.c status),
  // which also counts as an error in the statistics. Either way the request
  // is answered: a second call fails with errc::invalid_argument.
  error_code respond(std::string_view payload, const header_list& headers = {});
  // Error reply: `payload` with the headers Nats-Service-Error:
  // `description` and Nats-Service-Error-Code: `code`; counted in the
  // endpoint's num_errors, its last_error becoming "<code>:<description>".
  // Line breaks in `description` are sent as spaces. Errors: as respond.
  error_code respond_error(int code, std::string_view description, std::string_view payload = {});

 private:
  friend struct detail::access;
  service_request(message msg, std::shared_ptr<detail::endpoint_stats> stats,
                  std::weak_ptr<detail::connection_core> core,
                  std::chrono::steady_clock::time_point received)
      : msg_(std::move(msg)),
        stats_(std::move(stats)),
        core_(std::move(core)),
        received_(received) {}
  error_code answer(std::string_view payload, const header_list& headers, std::string error);

  message msg_;
  std::shared_ptr<detail::endpoint_stats> stats_;  // null: nothing (more) to answer
  std::weak_ptr<detail::connection_core> core_;
  std::chrono::steady_clock::time_point received_;
};

// An endpoint of a service: a queue subscription whose requests are pulled
// with async_receive. Made by service::add_endpoint. Destroying it stops it.
// Movable.
class service_endpoint {
 public:
  using executor_type = boost::asio::any_io_executor;

  explicit service_endpoint(executor_type ex) : executor_(std::move(ex)) {}
  // Stops the endpoint; a pending receive completes with
  // errc::subscription_closed on its executor.
  ~service_endpoint();
  service_endpoint(service_endpoint&&) noexcept = default;
  service_endpoint& operator=(service_endpoint&& other) noexcept;

  // The connection's executor.
  executor_type get_executor() const noexcept { return executor_; }
  bool is_open() const noexcept { return state_ != nullptr; }

  // Next request. Handler: void(error_code, service_request). Errors, as
  // subscription::async_receive: errc::queue_overflow (requests were dropped
  // while 65536 waited; not final), errc::subscription_closed (stopped, the
  // endpoint or its service destroyed, or the connection closed; requests
  // already queued are delivered first; final), errc::permission_denied (the
  // server refused the subject; final).
  // Cancellation: terminal, partial, total: no request is consumed.
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_receive(Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(error_code, service_request)>(
        [this](auto handler) {
          auto c = detail::make_completion<service_request>(std::move(handler), executor_);
          start_receive(c);
        },
        token);
  }

  // Unsubscribes and leaves the service's INFO and STATS (idempotent). A
  // pending receive completes with errc::subscription_closed.
  void stop();

 private:
  friend class service;
  service_endpoint(executor_type ex, std::shared_ptr<detail::endpoint_state> state)
      : executor_(std::move(ex)), state_(std::move(state)) {}
  void start_receive(const detail::completion_ptr<service_request>& c);

  executor_type executor_;
  std::shared_ptr<detail::endpoint_state> state_;
};

// A running service instance: answers PING, INFO and STATS on
// `$SRV.<VERB>`, `$SRV.<VERB>.<name>` and `$SRV.<VERB>.<name>.<id>` until
// stopped, destroyed, or its connection closes. Movable; destroying it stops
// it. Functions: from one executor at a time, as any I/O object.
class service {
 public:
  // Not started: add_endpoint fails, id() and name() are empty.
  service() = default;
  ~service();
  service(service&&) noexcept = default;
  service& operator=(service&& other) noexcept;

  // Validates `config`, subscribes the discovery subjects (without queue
  // group) and starts answering them on the connection's executor, with a
  // new instance id. Non-blocking. Errors (set in `ec`; the service returned
  // is then not started): errc::invalid_argument (name or version
  // malformed), errc::not_connected, a nats.c status from subscribing.
  // The connection must be open; the service may outlive it (it ends when
  // the connection closes).
  static service start(connection& conn, service_config config, error_code& ec);

  // Subscribes an endpoint (queue group config.queue_group); it shows in
  // INFO and STATS until stopped. Non-blocking. Errors (set in `ec`; the
  // endpoint returned is then closed): errc::invalid_argument (name, subject
  // or queue group malformed), errc::subscription_closed (the service is not
  // started or stopped), errc::not_connected, a nats.c status.
  [[nodiscard]] service_endpoint add_endpoint(endpoint_config config, error_code& ec);

  // Unique per instance: 22 letters and digits.
  const std::string& id() const noexcept;
  const std::string& name() const noexcept;
  bool is_running() const noexcept;

  // Unsubscribes everything, discovery and endpoints (idempotent); pending
  // endpoint receives complete with errc::subscription_closed.
  void stop();

 private:
  std::shared_ptr<detail::service_state> state_;
};

}  // namespace nats_asio
