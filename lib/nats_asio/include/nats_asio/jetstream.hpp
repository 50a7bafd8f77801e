// JetStream on a connection: publish with acknowledgment, stream and
// consumer provisioning, push consumers.
//
// Every operation here is built from non-blocking pieces (publish + the
// connection's reply multiplexer), so none of them ties up a thread. Each
// API call waits up to api_timeout() for its answer. Executors,
// cancellation, "API errors", lifetimes and thread safety: README,
// "Asynchronous operations"; the comments below add what is particular.
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
#include <vector>

#include "nats_asio/connection.hpp"
#include "nats_asio/consumer_config.hpp"
#include "nats_asio/detail/completion.hpp"
#include "nats_asio/error.hpp"
#include "nats_asio/js_subscription.hpp"
#include "nats_asio/message.hpp"
#include "nats_asio/stream_config.hpp"

namespace nats_asio {

struct publish_options {
  std::string msg_id;  // Nats-Msg-Id: the server drops a repeat within the duplicate window
  std::optional<std::uint64_t> expected_last_sequence;
  std::optional<std::uint64_t> expected_last_subject_sequence;
  std::string expected_stream;
  std::chrono::milliseconds timeout{5000};  // wait for the acknowledgment
};

struct pub_ack {
  std::string stream;
  std::uint64_t sequence = 0;
  bool duplicate = false;  // the server had this msg_id already
};

// One message of a batch (jetstream::async_publish_batch).
struct outgoing_message {
  std::string subject;
  std::string payload;
  header_list headers;
  publish_options options;
};

// What became of one message of a batch: stored (`ack`), or `error`.
struct publish_result {
  error_code error;
  pub_ack ack;
};

// A message as a stream stores it.
struct stored_message {
  std::string subject;
  std::uint64_t sequence = 0;
  header_list headers;
  std::string payload;
};

class jetstream {
 public:
  using executor_type = boost::asio::any_io_executor;

  // `conn` must be connected (otherwise every operation fails with
  // errc::not_connected) and must outlive nothing: the jetstream object
  // keeps the connection's state alive on its own.
  explicit jetstream(const connection& conn,
                     std::chrono::milliseconds api_timeout = std::chrono::seconds(5));

  executor_type get_executor() const noexcept { return executor_; }

  // Publishes and waits for the stream's acknowledgment. Handler:
  // void(error_code, pub_ack). Waits first for a slot in the connection's
  // in-flight window (connect_options::max_pending_publishes), then up to
  // options.timeout (zero: no limit) for the acknowledgment. Errors:
  // errc::no_responders (no stream on the subject), errc::timeout,
  // errc::permission_denied (the server refused the subject), a
  // jetstream_category code (e.g. js_err::wrong_last_sequence when an
  // expected_* check fails), and the other API errors. Subject, payload,
  // headers and options are copied.
  // Cancellation: terminal, partial: may still happen: the message is stored
  // (publish again with the same msg_id: the stream drops the repeat within
  // its duplicate window). total: only while waiting for a slot of the
  // window (nothing was sent); ignored after that.
  //
  // Overloads without headers or options exist so that callers need no
  // braced temporaries inside co_await: g++ 12 may destroy those twice.
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_publish(std::string_view subject, std::string_view payload, Token&& token = {}) {
    return async_publish(subject, payload, header_list(), publish_options(),
                         std::forward<Token>(token));
  }
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_publish(std::string_view subject, std::string_view payload,
                     const publish_options& options, Token&& token = {}) {
    return async_publish(subject, payload, header_list(), options, std::forward<Token>(token));
  }
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_publish(std::string_view subject, std::string_view payload, const header_list& headers,
                     const publish_options& options, Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(error_code, pub_ack)>(
        [this](auto handler, std::string subj, std::string data, header_list hdrs,
               publish_options opts) {
          auto c = detail::make_completion<pub_ack>(std::move(handler), executor_);
          start_publish(std::move(subj), std::move(data), std::move(hdrs), std::move(opts), c);
        },
        token, std::string(subject), std::string(payload), headers, options);
  }

  // Publishes every message of `batch` as async_publish does (the same
  // window, per-message timeouts and errors) and completes once, when each
  // has its acknowledgment or its error. Handler:
  // void(error_code, std::vector<publish_result>): the results in the
  // batch's order; the error_code is the first failed message's (in that
  // order), empty when every one was stored. For callers that publish many
  // messages and need no coroutine frame or handler per message: the batch
  // costs one post to the handler's executor, not one per message. An empty
  // batch completes at once. The batch is moved in.
  // Cancellation: none; each message has its own timeout.
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_publish_batch(std::vector<outgoing_message> batch, Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(error_code, std::vector<publish_result>)>(
        [this](auto handler, std::vector<outgoing_message> messages) {
          auto c =
              detail::make_completion<std::vector<publish_result>>(std::move(handler), executor_);
          start_publish_batch(std::move(messages), c);
        },
        token, std::move(batch));
  }

  // Creates the stream, or updates it to `config`. Handler:
  // void(error_code, stream_info). Errors: errc::stream_incompatible when
  // the existing stream differs and the update fails for any reason but a
  // permission refusal (retention, storage, ...; a timeout too); `diag` then
  // says which fields differ and what the server said.
  // errc::permission_denied when this user may not make the API call that
  // was needed (info, create or update); `diag` names its subject. The
  // create's err_code (e.g. js_err::stream_subjects_overlap), other API
  // errors. `diag` must stay valid until the handler runs; `config` is
  // copied. The overload without `diag` is the same without the text.
  // Cancellation: terminal, partial: may still happen: the stream is created
  // or updated. total: only while the existing stream is being looked up
  // (before the create or update request is sent); ignored after that.
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_ensure_stream(const stream_config& config, diagnostics& diag, Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(error_code, stream_info)>(
        [this, &diag](auto handler, stream_config cfg) {
          auto c = detail::make_completion<stream_info>(std::move(handler), executor_);
          start_ensure_stream(std::move(cfg), &diag, c);
        },
        token, config);
  }
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_ensure_stream(const stream_config& config, Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(error_code, stream_info)>(
        [this](auto handler, stream_config cfg) {
          auto c = detail::make_completion<stream_info>(std::move(handler), executor_);
          start_ensure_stream(std::move(cfg), nullptr, c);
        },
        token, config);
  }

  // The stream's configuration and state. Handler: void(error_code,
  // stream_info). Errors: js_err::stream_not_found, other API errors.
  // Cancellation: terminal, partial, total (read-only).
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_stream_info(std::string_view name, Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(error_code, stream_info)>(
        [this](auto handler, std::string n) {
          auto c = detail::make_completion<stream_info>(std::move(handler), executor_);
          start_stream_info(std::move(n), c);
        },
        token, std::string(name));
  }

  // Deletes the stream with its messages. Handler: void(error_code).
  // Errors: js_err::stream_not_found, other API errors.
  // Cancellation: terminal, partial: may still happen: the delete. total:
  // ignored.
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_delete_stream(std::string_view name, Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(error_code)>(
        [this](auto handler, std::string n) {
          auto c = detail::make_completion<>(std::move(handler), executor_);
          start_delete_stream(std::move(n), c);
        },
        token, std::string(name));
  }

  // Creates the consumer or updates it to `config` (durable), or creates an
  // ephemeral one (no durable_name). Handler: void(error_code,
  // consumer_info). Errors: errc::consumer_incompatible when the existing
  // durable differs (deliver_subject included) and the update fails, as for
  // async_ensure_stream; errc::permission_denied; js_err::stream_not_found,
  // js_err::consumer_filter_not_unique, js_err::maximum_consumers_reached
  // and other API errors. `diag` as for async_ensure_stream; `stream` and
  // `config` are copied.
  // Cancellation: terminal, partial: may still happen: the consumer is
  // created or updated. total: only before the create or update request is
  // sent (while a durable is being looked up); ignored after that.
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_ensure_consumer(std::string_view stream, const consumer_config& config,
                             diagnostics& diag, Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(error_code, consumer_info)>(
        [this, &diag](auto handler, std::string s, consumer_config cfg) {
          auto c = detail::make_completion<consumer_info>(std::move(handler), executor_);
          start_ensure_consumer(std::move(s), std::move(cfg), &diag, c);
        },
        token, std::string(stream), config);
  }
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_ensure_consumer(std::string_view stream, const consumer_config& config,
                             Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(error_code, consumer_info)>(
        [this](auto handler, std::string s, consumer_config cfg) {
          auto c = detail::make_completion<consumer_info>(std::move(handler), executor_);
          start_ensure_consumer(std::move(s), std::move(cfg), nullptr, c);
        },
        token, std::string(stream), config);
  }

  // The consumer's configuration and state. Handler: void(error_code,
  // consumer_info). Errors: js_err::consumer_not_found,
  // js_err::stream_not_found, other API errors.
  // Cancellation: terminal, partial, total (read-only).
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_consumer_info(std::string_view stream, std::string_view name, Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(error_code, consumer_info)>(
        [this](auto handler, std::string s, std::string n) {
          auto c = detail::make_completion<consumer_info>(std::move(handler), executor_);
          start_consumer_info(std::move(s), std::move(n), c);
        },
        token, std::string(stream), std::string(name));
  }

  // Deletes the consumer. Handler: void(error_code). Errors:
  // js_err::consumer_not_found, js_err::stream_not_found, other API errors.
  // Cancellation: terminal, partial: may still happen: the delete. total:
  // ignored.
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_delete_consumer(std::string_view stream, std::string_view name, Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(error_code)>(
        [this](auto handler, std::string s, std::string n) {
          auto c = detail::make_completion<>(std::move(handler), executor_);
          start_delete_consumer(std::move(s), std::move(n), c);
        },
        token, std::string(stream), std::string(name));
  }

  // Every consumer of `stream` ($JS.API.CONSUMER.LIST, page after page).
  // Handler: void(error_code, std::vector<consumer_info>). Errors:
  // js_err::stream_not_found, errc::timeout, errc::permission_denied, other
  // API errors (api_timeout() applies to each page).
  // Cancellation: terminal, partial, total (read-only).
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_list_consumers(std::string_view stream, Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(error_code, std::vector<consumer_info>)>(
        [this](auto handler, std::string s) {
          auto c =
              detail::make_completion<std::vector<consumer_info>>(std::move(handler), executor_);
          start_list_consumers(std::move(s), c);
        },
        token, std::string(stream));
  }

  // The message stored at `sequence` in `stream`. Handler:
  // void(error_code, stored_message). Errors: js_err::message_not_found (never
  // stored, deleted, expired, or consumed from a work-queue stream),
  // js_err::stream_not_found, errc::timeout, errc::permission_denied,
  // errc::bad_response (payload or headers not base64), other API errors.
  // Asks the stream's leader ($JS.API.STREAM.MSG.GET), so the stream need
  // not allow direct gets. Cancellation: terminal, partial, total (read-only).
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_get_message(std::string_view stream, std::uint64_t sequence, Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(error_code, stored_message)>(
        [this](auto handler, std::string s, std::uint64_t seq) {
          auto c = detail::make_completion<stored_message>(std::move(handler), executor_);
          start_get_message(std::move(s), seq, std::string(), c);
        },
        token, std::string(stream), sequence);
  }

  // The last message stored on `subject` (wildcards allowed) in `stream`.
  // Same handler, errors and cancellation as async_get_message;
  // js_err::message_not_found when none is stored.
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_get_last_message(std::string_view stream, std::string_view subject,
                              Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(error_code, stored_message)>(
        [this](auto handler, std::string s, std::string subj) {
          auto c = detail::make_completion<stored_message>(std::move(handler), executor_);
          start_get_message(std::move(s), 0, std::move(subj), c);
        },
        token, std::string(stream), std::string(subject));
  }

  // Ensures a push consumer (as async_ensure_consumer) and subscribes to its
  // deliver subject. Handler: void(error_code, js_subscription). A durable
  // that exists keeps its deliver subject; otherwise a fresh inbox is used
  // (under connect_options::inbox_prefix). At most `capacity`
  // (default_subscribe_capacity) messages wait in the subscription;
  // js_subscription::async_receive says what a full queue means. Errors:
  // errc::permission_denied for a refused deliver subject, here or, if the
  // server's answer comes later, in async_receive; those of
  // async_ensure_consumer; a nats.c status if nats.c cannot subscribe.
  // `stream` and `config` are copied.
  // Cancellation: terminal, partial: may still happen: the consumer is
  // created (an ephemeral one is removed by the server after its inactive
  // threshold, a durable one stays). total: only before the consumer create
  // request is sent; ignored after that.
  static constexpr std::size_t default_subscribe_capacity = 4096;
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  requires(!std::is_convertible_v<Token, std::size_t>) auto async_subscribe(
      std::string_view stream, const consumer_config& config, Token&& token = {}) {
    return async_subscribe(stream, config, default_subscribe_capacity, std::forward<Token>(token));
  }
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_subscribe(std::string_view stream, const consumer_config& config, std::size_t capacity,
                       Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(error_code, js_subscription)>(
        [this](auto handler, std::string s, consumer_config cfg, std::size_t cap) {
          auto c = detail::make_completion<js_subscription>(std::move(handler), executor_);
          start_subscribe(std::move(s), std::move(cfg), cap, c);
        },
        token, std::string(stream), config, capacity);
  }

  std::chrono::milliseconds api_timeout() const noexcept { return api_timeout_; }

 private:
  friend struct detail::access;
  void start_publish(std::string subject, std::string payload, header_list headers,
                     publish_options options, const detail::completion_ptr<pub_ack>& c);
  void start_publish_batch(std::vector<outgoing_message> batch,
                           const detail::completion_ptr<std::vector<publish_result>>& c);
  void start_ensure_stream(stream_config config, diagnostics* diag,
                           const detail::completion_ptr<stream_info>& c);
  void start_stream_info(std::string name, const detail::completion_ptr<stream_info>& c);
  void start_delete_stream(std::string name, const detail::completion_ptr<>& c);
  void start_ensure_consumer(std::string stream, consumer_config config, diagnostics* diag,
                             const detail::completion_ptr<consumer_info>& c);
  void start_consumer_info(std::string stream, std::string name,
                           const detail::completion_ptr<consumer_info>& c);
  void start_delete_consumer(std::string stream, std::string name,
                             const detail::completion_ptr<>& c);
  void start_subscribe(std::string stream, consumer_config config, std::size_t capacity,
                       const detail::completion_ptr<js_subscription>& c);
  void start_list_consumers(std::string stream,
                            const detail::completion_ptr<std::vector<consumer_info>>& c);
  // By `sequence`, or the last on `last_subject` if that is not empty.
  void start_get_message(std::string stream, std::uint64_t sequence, std::string last_subject,
                         const detail::completion_ptr<stored_message>& c);

  executor_type executor_;
  std::shared_ptr<detail::connection_core> core_;
  std::chrono::milliseconds api_timeout_;
};

}  // namespace nats_asio
