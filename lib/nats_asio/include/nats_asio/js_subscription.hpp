// A push consumer bound to its deliver subject; messages pulled with async_receive.
// Executors, cancellation, lifetimes, thread safety: README, "Asynchronous
// operations".
#pragma once

#include <algorithm>
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/compose.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "nats_asio/consumer_config.hpp"
#include "nats_asio/detail/completion.hpp"
#include "nats_asio/error.hpp"
#include "nats_asio/js_message.hpp"

namespace nats_asio {

namespace detail {
struct access;
struct consumer_activity;
template <typename T>
class subscription_state;
}  // namespace detail

class js_subscription {
 public:
  using executor_type = boost::asio::any_io_executor;

  js_subscription() = default;
  explicit js_subscription(executor_type ex) : executor_(std::move(ex)) {}
  // Unsubscribes. A durable consumer stays on the server (unacked messages
  // are redelivered to the next subscriber); an ephemeral one is deleted. A
  // pending receive completes with errc::subscription_closed.
  ~js_subscription();
  js_subscription(js_subscription&&) noexcept = default;
  js_subscription& operator=(js_subscription&&) noexcept;

  executor_type get_executor() const noexcept { return executor_; }
  bool is_open() const noexcept { return state_ != nullptr; }
  const consumer_info& info() const noexcept { return info_; }

  // Next message. Handler: void(error_code, js_message). Heartbeats and
  // flow control are answered internally and never delivered.
  //
  // Errors:
  // - errc::queue_overflow: messages arrived while the receive queue was full
  //   and were dropped, unacknowledged (with an ack policy, the server
  //   redelivers them after ack_wait; with ack_policy::none they are lost).
  //   Reported once, at the place of the dropped messages: last_gap() tells
  //   how many; the next receive continues with the message after them.
  //   Not final.
  // - errc::subscription_closed: unsubscribed, destroyed, or the connection
  //   closed (queued messages are delivered first). Final.
  // - errc::permission_denied: the server refused the deliver subject. Final.
  //
  // Cancellation: terminal, partial, total: nothing is consumed.
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_receive(Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(error_code, js_message)>(
        [this](auto handler) {
          auto c = detail::make_completion<js_message>(std::move(handler), executor_);
          start_receive(c);
        },
        token);
  }

  // As async_receive, but fails with errc::timeout when no message came
  // within `timeout` (not final: nothing is consumed).
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_receive_for(std::chrono::milliseconds timeout, Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(error_code, js_message)>(
        [this, timeout](auto handler) {
          auto c = detail::make_completion<js_message>(std::move(handler), executor_);
          c->expire_after(timeout);
          start_receive(c);
        },
        token);
  }

  // As async_receive, but fails with errc::consumer_silent once the server
  // has sent neither a message nor a heartbeat for `silence`: the consumer
  // is gone (a restarted server, a deleted consumer) and will send nothing
  // more. Give a few of the consumer's idle heartbeats (idle_heartbeat in
  // its config). Not final: the caller usually makes the consumer again.
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_receive_alive(std::chrono::milliseconds silence, Token&& token = {}) {
    return boost::asio::async_compose<Token, void(error_code, js_message)>(
        [this, silence, started = false](auto& self, error_code ec = {},
                                         js_message msg = {}) mutable {
          if (started && ec != errc::timeout) {
            self.complete(ec, std::move(msg));
            return;
          }
          // Heartbeats never reach the queue: they show in the activity.
          const auto left = silence_left(silence);
          if (started && left.count() == 0) {
            self.complete(make_error_code(errc::consumer_silent), {});
            return;
          }
          started = true;
          async_receive_for(std::max(left, std::chrono::milliseconds(1)), std::move(self));
        },
        token, executor_);
  }

  // As the destructor; idempotent.
  void unsubscribe();
  // Messages waiting in the receive queue: while > 0, a receive completes
  // at once. Lets a consumer batch what has arrived without waiting for more.
  std::size_t queued() const;
  // Messages dropped because the receive queue was full, in total.
  std::uint64_t dropped() const;
  // Messages dropped at the place reported by the latest receive that
  // completed with errc::queue_overflow (0 before any).
  std::uint64_t last_gap() const;
  // Time of the last message or heartbeat from the server.
  std::chrono::steady_clock::time_point last_activity() const;
  // What remains of `silence` since the last activity; 0 once it is over.
  std::chrono::milliseconds silence_left(std::chrono::milliseconds silence) const;

 private:
  friend struct detail::access;
  void attach(std::shared_ptr<detail::subscription_state<js_message>> state,
              std::shared_ptr<detail::consumer_activity> act, consumer_info info, bool ephemeral);
  void start_receive(const detail::completion_ptr<js_message>& c);

  executor_type executor_;
  std::shared_ptr<detail::subscription_state<js_message>> state_;
  std::shared_ptr<detail::consumer_activity> activity_;
  consumer_info info_;
  bool ephemeral_ = false;
};

}  // namespace nats_asio
