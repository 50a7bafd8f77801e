// A connection to a NATS server or cluster as an Asio I/O object.
//
// Executors, cancellation, errors, lifetimes and thread safety of every
// operation: README, "Asynchronous operations"; each comment below adds what
// is particular to its operation. In short: one object's functions are
// called from its executor (a strand on a multi-threaded io_context), except
// publish and publish_request; handlers run on their associated executor,
// never on a nats.c thread, and never inside the initiating call.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <chrono>
#include <memory>
#include <string_view>

#include "nats_asio/connect_options.hpp"
#include "nats_asio/connection_event.hpp"
#include "nats_asio/detail/completion.hpp"
#include "nats_asio/error.hpp"
#include "nats_asio/message.hpp"
#include "nats_asio/subscription.hpp"

namespace nats_asio {

namespace detail {
struct access;
class connection_core;
void start_connect(const std::shared_ptr<connection_core>& core, completion_ptr<std::string> c);
}  // namespace detail

class connection {
 public:
  using executor_type = boost::asio::any_io_executor;

  explicit connection(executor_type ex) : executor_(std::move(ex)) {}
  // Closes the connection in the background if it is still open, as
  // async_close does: a pending async_connect or request completes with
  // errc::connection_closed, async_next_event with the `closed` event.
  ~connection();
  connection(connection&&) noexcept = default;
  connection& operator=(connection&&) noexcept;

  executor_type get_executor() const noexcept { return executor_; }
  bool is_open() const noexcept;

  // Connects (TCP, TLS, authentication); a connection this object held is
  // closed first, as by async_close. Handler: void(error_code, std::string
  // detail), `detail` being nats.c's text on failure. Errors: a nats.c status
  // (no server reachable, TLS or authentication refused, unreadable
  // credentials or CA file, ...); errc::invalid_argument (NKey seed file
  // unreadable or malformed); errc::connection_closed (closed, destroyed or
  // connected again before it came up). `options` is copied.
  // Cancellation: terminal, partial, total: the connection, once made, is
  // closed.
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_connect(const connect_options& options, Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(error_code, std::string)>(
        [this](auto handler, connect_options opts) {
          auto c = detail::make_completion<std::string>(std::move(handler), executor_);
          reset_core(std::move(opts));
          detail::start_connect(core_, std::move(c));
        },
        token, options);
  }

  // Buffered publish: returns once nats.c has the message (it is flushed
  // within ~1 ms, or at once with send_asap). A subject the server refuses
  // shows only as an error event (async_next_event) naming it. Errors:
  // errc::not_connected, errc::invalid_argument (empty subject), a nats.c
  // status (connection closed, payload over max_payload, ...).
  // Thread-safe, unlike the rest of this object: publish and publish_request
  // may be called from any thread, though not while this object runs
  // async_connect, is assigned to or is destroyed.
  error_code publish(std::string_view subject, std::string_view payload,
                     const header_list& headers = {});
  error_code publish_request(std::string_view subject, std::string_view reply,
                             std::string_view payload, const header_list& headers = {});

  // Request/reply over one shared inbox subscription. Handler:
  // void(error_code, message). Errors: errc::timeout after `timeout` (zero:
  // no limit); errc::no_responders when nobody listens;
  // errc::permission_denied as soon as the server refuses the subject (or
  // this connection's reply subscription); errc::connection_closed;
  // errc::not_connected; errc::invalid_argument (empty subject); a nats.c
  // status if nats.c refuses the message (payload over max_payload, ...).
  // Subject, payload and headers are copied.
  // Cancellation: terminal, partial: may still happen: the request is sent
  // by the initiating call, so the responder may act on it; a late reply is
  // dropped. total: ignored.
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_request(std::string_view subject, std::string_view payload,
                     std::chrono::milliseconds timeout, Token&& token = {}) {
    return async_request(subject, payload, {}, timeout, std::forward<Token>(token));
  }
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_request(std::string_view subject, std::string_view payload, const header_list& headers,
                     std::chrono::milliseconds timeout, Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(error_code, message)>(
        [this](auto handler, std::string subj, std::string data, header_list hdrs,
               std::chrono::milliseconds t) {
          auto c = detail::make_completion<message>(std::move(handler), executor_);
          start_request(subj, hdrs, data, t, c);
        },
        token, std::string(subject), std::string(payload), headers, timeout);
  }

  // Subscribes (non-blocking). `queue_group` may be empty. At most
  // `capacity` received messages wait in the subscription; beyond that new
  // ones are dropped, counted (subscription::dropped()) and reported to the
  // receiver (errc::queue_overflow, see async_receive). If the server
  // refuses the subject, receives fail with errc::permission_denied once its
  // answer arrives. Errors (thrown as system_error, or set in `ec`):
  // errc::not_connected, errc::invalid_argument (empty subject), a nats.c
  // status.
  subscription subscribe(std::string_view subject, std::string_view queue_group = {},
                         std::size_t capacity = 65536);
  subscription subscribe(std::string_view subject, error_code& ec,
                         std::string_view queue_group = {}, std::size_t capacity = 65536);

  // Next connection event. Handler: void(error_code, connection_event).
  // At most connect_options::event_queue_capacity events wait; older ones
  // are dropped. Errors: errc::connection_closed after the `closed` event
  // (the last); errc::not_connected before any async_connect. After a
  // failed async_connect no event comes: the wait ends with operation_aborted
  // when this object is destroyed or connects again.
  // Cancellation: terminal, partial, total: no event is consumed.
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_next_event(Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(error_code, connection_event)>(
        [this](auto handler) {
          auto c = detail::make_completion<connection_event>(std::move(handler), executor_);
          start_next_event(c);
        },
        token);
  }

  // Closes the connection: pending requests fail with connection_closed,
  // subscriptions end (their receives: subscription_closed, after the
  // messages already queued). Handler: void(error_code), always success,
  // once nats.c has closed the connection and ended every subscription (at
  // once if it never connected). A drain under way is cut short (its
  // async_drain completes too).
  // Not cancellable: every cancellation type is ignored.
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_close(Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(error_code)>(
        [this](auto handler) {
          auto c = detail::make_completion<>(std::move(handler), executor_);
          start_close(c);
        },
        token);
  }

  // Unsubscribes every subscription, letting the messages already on their
  // way reach its receive queue (receives get them, then
  // subscription_closed), flushes, then closes. Handler: void(error_code),
  // success once the connection is closed, as for async_close; after
  // `timeout` nats.c closes it anyway (and reports the timeout as an error
  // event). Errors: errc::not_connected; a nats.c status if the drain cannot
  // start. A close or drain already under way is waited for.
  // Not cancellable: every cancellation type is ignored.
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_drain(std::chrono::milliseconds timeout, Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(error_code)>(
        [this](auto handler, std::chrono::milliseconds t) {
          auto c = detail::make_completion<>(std::move(handler), executor_);
          start_drain(t, c);
        },
        token, timeout);
  }

 private:
  friend struct detail::access;
  void reset_core(connect_options options);
  void start_request(std::string_view subject, const header_list& headers, std::string_view payload,
                     std::chrono::milliseconds timeout, const detail::completion_ptr<message>& c);
  void start_next_event(const detail::completion_ptr<connection_event>& c);
  void start_close(const detail::completion_ptr<>& c);
  void start_drain(std::chrono::milliseconds timeout, const detail::completion_ptr<>& c);

  executor_type executor_;
  std::shared_ptr<detail::connection_core> core_;
};

}  // namespace nats_asio
