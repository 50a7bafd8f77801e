// A message delivered by a JetStream push consumer, with its ack operations.
// Executors, cancellation, lifetimes, thread safety: README, "Asynchronous
// operations".
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "nats_asio/detail/completion.hpp"
#include "nats_asio/error.hpp"
#include "nats_asio/message.hpp"

namespace nats_asio {

namespace detail {
class connection_core;
}

// Parsed from the reply subject
// "$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ns>.<pending>".
struct js_metadata {
  std::string stream;
  std::string consumer;
  std::string domain;
  std::uint64_t stream_sequence = 0;
  std::uint64_t consumer_sequence = 0;
  std::uint64_t num_delivered = 0;  // 1 on first delivery
  std::uint64_t num_pending = 0;    // messages after this one still to deliver
  std::chrono::system_clock::time_point timestamp;
};

// Accepts both the v1 (9 tokens) and v2 (12 tokens, with domain) formats.
std::optional<js_metadata> parse_ack_subject(std::string_view reply);

class js_message {
 public:
  using executor_type = boost::asio::any_io_executor;

  js_message() = default;
  js_message(message msg, js_metadata meta, std::weak_ptr<detail::connection_core> core,
             executor_type ex)
      : msg_(std::move(msg)), meta_(std::move(meta)), core_(std::move(core)), executor_(ex) {}

  const message& msg() const noexcept { return msg_; }
  const std::string& subject() const noexcept { return msg_.subject; }
  const std::string& payload() const noexcept { return msg_.payload; }
  const header_list& headers() const noexcept { return msg_.headers; }
  const js_metadata& metadata() const noexcept { return meta_; }
  executor_type get_executor() const noexcept { return executor_; }

  // Each operation below is sent by the initiating call, as a request the
  // server answers once it has processed it (a double ack). Handler:
  // void(error_code); the executor by default is the subscription's.
  // Errors: errc::timeout (no confirmation within confirm_timeout);
  // errc::connection_closed (the connection is gone or closed);
  // errc::invalid_argument (the message has no reply subject to ack to);
  // errc::no_responders (nothing takes the ack, e.g. the consumer was
  // deleted); errc::permission_denied; a nats.c status. The message may be
  // destroyed once the call returns.
  // Cancellation: terminal, partial: stop waiting for the confirmation; the
  // ack was sent and may still take effect. total: ignored.

  // Processed: the server will not deliver it again.
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_ack(Token&& token = {}) {
    return async_send("+ACK", std::forward<Token>(token));
  }
  // Not processed: deliver again at once, or after `delay`.
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  requires(!std::is_convertible_v<Token, std::chrono::milliseconds>) auto async_nak(
      Token&& token = {}) {
    return async_send(nak_body({}), std::forward<Token>(token));
  }
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_nak(std::chrono::milliseconds delay, Token&& token = {}) {
    return async_send(nak_body(delay), std::forward<Token>(token));
  }
  // Never deliver again, whatever max_deliver says.
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_term(Token&& token = {}) {
    return async_send("+TERM", std::forward<Token>(token));
  }
  // Still working: restarts the ack wait timer.
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_in_progress(Token&& token = {}) {
    return async_send("+WPI", std::forward<Token>(token));
  }

  // Unconfirmed ack: buffered and sent without waiting for the server.
  // Errors: errc::connection_closed, errc::invalid_argument, a nats.c status.
  error_code ack();

  static constexpr std::chrono::milliseconds confirm_timeout{5000};

 private:
  static std::string nak_body(std::chrono::milliseconds delay);

  template <typename Token>
  auto async_send(std::string body, Token&& token) {
    return boost::asio::async_initiate<Token, void(error_code)>(
        [this](auto handler, std::string b) {
          auto c = detail::make_completion<>(std::move(handler), executor_);
          start_send(std::move(b), c);
        },
        token, std::move(body));
  }
  void start_send(std::string body, const detail::completion_ptr<>& c);

  message msg_;
  js_metadata meta_;
  std::weak_ptr<detail::connection_core> core_;
  executor_type executor_;
};

}  // namespace nats_asio
