// A stream of key-value changes: first the current values, then every update.
// Executors, cancellation, lifetimes, thread safety: README, "Asynchronous
// operations".
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <chrono>
#include <memory>

#include "nats_asio/detail/completion.hpp"
#include "nats_asio/error.hpp"
#include "nats_asio/kv_entry.hpp"

namespace nats_asio {

namespace detail {
struct access;
struct watch_state;
}  // namespace detail

struct watch_options {
  bool include_history = false;  // every stored revision, not just the latest per key
  bool updates_only = false;     // skip current values; start with the next change
  bool ignore_deletes = false;   // do not deliver erase/purge markers
  bool headers_only = false;     // values left empty (listing keys)
  // The server sends a heartbeat this often when idle; silence for three
  // heartbeats (server restart, lost consumer) makes the watcher resume
  // from the last revision it delivered.
  std::chrono::milliseconds heartbeat{2000};
  std::size_t capacity = 4096;
};

class kv_watcher {
 public:
  using executor_type = boost::asio::any_io_executor;

  kv_watcher() = default;
  explicit kv_watcher(executor_type ex, std::shared_ptr<detail::watch_state> state)
      : executor_(std::move(ex)), state_(std::move(state)) {}
  // Stops watching (and deletes its consumer); a pending async_next
  // completes with errc::subscription_closed.
  ~kv_watcher();
  kv_watcher(kv_watcher&&) noexcept = default;
  kv_watcher& operator=(kv_watcher&&) noexcept;

  executor_type get_executor() const noexcept { return executor_; }

  // Next change. Handler: void(error_code, kv_entry). Once the values
  // present at the start are delivered, one entry with operation
  // kv_operation::initial_done follows (at once for an empty bucket). Survives
  // reconnects and server restarts: no revision is skipped or repeated.
  // Errors: errc::permission_denied, without retrying, when the server
  // refuses the watch's consumer or deliver subject (final);
  // errc::connection_closed (final); errc::subscription_closed after stop()
  // or destruction (final). Other failures to make the consumer (timeouts,
  // a server restarting, ...) are retried every 250 ms. One call at a time:
  // a call made while another is pending completes at once with
  // errc::operation_in_progress and leaves the pending one as it was.
  // Cancellation: terminal, partial, total: nothing is consumed; an entry
  // the watcher had already taken is kept for the next call.
  template <typename Token = boost::asio::default_completion_token_t<executor_type>>
  auto async_next(Token&& token = {}) {
    return boost::asio::async_initiate<Token, void(error_code, kv_entry)>(
        [this](auto handler) {
          auto c = detail::make_completion<kv_entry>(std::move(handler), executor_);
          start_next(c);
        },
        token);
  }

  void stop();
  // Consumers the watcher had to recreate (after a gap or lost heartbeats).
  std::uint64_t restarts() const;

 private:
  friend struct detail::access;
  void start_next(const detail::completion_ptr<kv_entry>& c);

  executor_type executor_;
  std::shared_ptr<detail::watch_state> state_;
};

}  // namespace nats_asio
