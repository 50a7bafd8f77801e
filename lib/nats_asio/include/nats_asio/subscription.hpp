// A core NATS subscription; messages are pulled with async_receive.
// Executors, cancellation, lifetimes, thread safety: README, "Asynchronous
// operations".
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <cstdint>
#include <memory>
#include <string_view>

#include "nats_asio/detail/completion.hpp"
#include "nats_asio/error.hpp"
#include "nats_asio/message.hpp"

namespace nats_asio {

namespace detail {
struct access;
class connection_core;
template <typename T>
class subscription_state;
}  // namespace detail

class subscription {
 public:
  using executor_type = boost::asio::any_io_executor;

  explicit subscription(executor_type ex) : executor_(std::move(ex)) {}
  // Unsubscribes. Safe with a receive pending: it completes with
  // errc::subscription_closed on its executor.
  ~subscription();
  subscription(subscription&&) noexcept = default;
  subscription& operator=(subscription&&) noexcept;

  executor_type get_executor() const noexcept { return executor_; }
  bool is_open() const noexcept { return state_ != nullptr; }

  // Next message. Handler: void(error_code, message).
  //
  // Errors:
  // - errc::queue_overflow: messages arrived while the receive queue was full
  //   and were dropped. Reported once, at the place of the lost messages:
  //   last_gap() tells how many were lost there; the next receive continues
  //   with the message after them. Not final.
  // - errc::subscription_closed: unsubscribed, destroyed, never opened, or
  //   the connection closed (queued messages are delivered first). Final.
  // - errc::permission_denied: the server refused the subject. Final.
  //
  // Cancellation: terminal, partial, total: no message (and no overflow
  // report) is consumed by a cancelled receive.
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_receive(Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(error_code, message)>(
        [this](auto handler) {
          auto c = detail::make_completion<message>(std::move(handler), executor_);
          start_receive(c);
        },
        token);
  }

  // Idempotent; a pending receive completes with errc::subscription_closed.
  void unsubscribe();
  // Messages dropped because the receive queue was full, in total.
  std::uint64_t dropped() const;
  // Messages lost at the place reported by the latest receive that completed
  // with errc::queue_overflow (0 before any).
  std::uint64_t last_gap() const;
  // Messages waiting to be received.
  std::size_t queued() const;

 private:
  friend struct detail::access;
  static subscription open(const std::shared_ptr<detail::connection_core>& core,
                           std::string_view subject, std::string_view queue_group,
                           std::size_t capacity, error_code& ec);
  void start_receive(const detail::completion_ptr<message>& c);

  executor_type executor_;
  std::shared_ptr<detail::subscription_state<message>> state_;
};

}  // namespace nats_asio
