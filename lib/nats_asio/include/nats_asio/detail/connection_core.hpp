// The shared state behind a `connection`: the nats.c connection, its
// callbacks, the reply multiplexer and the JetStream publish window.
//
// nats.c receives a raw pointer to this object as closure. It stays alive
// until close() has seen the closed callback and the last subscription's
// OnComplete, so no callback can outlive it.
#pragma once

#include <nats/nats.h>

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "nats_asio/connect_options.hpp"
#include "nats_asio/connection_event.hpp"
#include "nats_asio/detail/async_queue.hpp"
#include "nats_asio/detail/async_semaphore.hpp"
#include "nats_asio/detail/completion.hpp"
#include "nats_asio/detail/permission_violation.hpp"
#include "nats_asio/message.hpp"

namespace nats_asio::detail {

// How often pending requests are checked for their deadline.
inline constexpr std::chrono::milliseconds request_sweep_period{10};

class connection_core : public std::enable_shared_from_this<connection_core> {
 public:
  connection_core(boost::asio::any_io_executor ex, connect_options options);
  ~connection_core();
  connection_core(const connection_core&) = delete;
  connection_core& operator=(const connection_core&) = delete;

  const boost::asio::any_io_executor& executor() const { return executor_; }
  const connect_options& options() const { return options_; }

  // Blocking: runs on the blocking pool only. `detail` gets nats.c's text.
  error_code connect_blocking(std::string& detail);
  // Blocking: closes, waits until nats.c is silent, destroys the handle.
  void close_blocking();
  // Non-blocking: starts nats.c's drain; the connection closes when done.
  error_code start_drain(std::chrono::milliseconds timeout);
  // Hands close_blocking() to the blocking pool; `done` may be null.
  void close_async(completion_ptr<> done);

  natsConnection* native() const { return nc_; }
  bool is_closed() const;

  // Buffered, non-blocking publish.
  error_code publish(std::string_view subject, std::string_view reply, const header_list& headers,
                     std::string_view payload);

  // Sends a request whose reply (or a timeout, cancellation, the connection
  // closing, or the server refusing the subject) completes `c`. The timeout
  // fires on the connection's executor, at most request_sweep_period late.
  void request(std::string_view subject, const header_list& headers, std::string_view payload,
               std::chrono::milliseconds timeout, const completion_ptr<message>& c);

  // A fresh, unique subject under the connection's inbox prefix
  // (connect_options::inbox_prefix, "_INBOX" by default).
  std::string new_inbox() const;
  // The wildcard subject replies arrive on ("<inbox>.*").
  std::string reply_subject_pattern() const { return inbox_prefix_ + ".*"; }
  // True once the server refused the reply subscription: requests then fail
  // at once with errc::permission_denied.
  bool replies_denied() const;

  // Calls `on_denied` (on a nats.c thread) if the server refuses a
  // subscription to `subject`. Register before subscribing; unwatch when done.
  std::uint64_t watch_subscription(std::string subject, std::function<void()> on_denied);
  void unwatch_subscription(std::uint64_t id);

  async_queue<connection_event>& events() { return events_; }
  async_semaphore& publish_window() { return publish_window_; }

  // Called by subscriptions to take part in the close protocol.
  void subscription_opened();
  void subscription_completed();

 private:
  static void on_closed(natsConnection* nc, void* closure);
  static void on_disconnected(natsConnection* nc, void* closure);
  static void on_reconnected(natsConnection* nc, void* closure);
  static void on_error(natsConnection* nc, natsSubscription* sub, natsStatus err, void* closure);
  static void on_lame_duck(natsConnection* nc, void* closure);
  static void on_reply(natsConnection* nc, natsSubscription* sub, natsMsg* msg, void* closure);
  static void on_reply_sub_complete(void* closure);

  struct pending_request {
    completion_ptr<message> c;
    std::string subject;
    std::chrono::steady_clock::time_point deadline;
  };
  struct subscription_watch {
    std::string subject;
    std::function<void()> on_denied;
  };

  error_code build_options(natsOptions* opts, std::string& detail);
  void sweep_expired_requests();
  void fail_pending_requests(error_code ec);
  // Fails, with `ec`, the pending requests for which `match` is true.
  void fail_requests_if(const std::function<bool(std::uint64_t, const pending_request&)>& match,
                        error_code ec);
  void on_permission_violation(const permission_violation& v);
  std::string connected_url() const;

  boost::asio::any_io_executor executor_;
  connect_options options_;
  natsConnection* nc_ = nullptr;

  // Reply multiplexer: one wildcard subscription on "<inbox>.*".
  std::string inbox_prefix_;
  natsSubscription* reply_sub_ = nullptr;
  mutable std::mutex requests_mutex_;
  std::uint64_t next_token_ = 1;
  std::unordered_map<std::uint64_t, pending_request> requests_;
  bool requests_closed_ = false;
  bool sweeping_ = false;  // sweep_expired_requests() is scheduled
  bool replies_denied_ = false;

  // Subscriptions waiting to hear that the server refused them.
  std::mutex watches_mutex_;
  std::uint64_t next_watch_ = 1;
  std::unordered_map<std::uint64_t, subscription_watch> watches_;

  async_queue<connection_event> events_;
  async_semaphore publish_window_;

  // Close protocol: the closed callback and every subscription's OnComplete.
  mutable std::mutex close_mutex_;
  std::condition_variable close_cv_;
  bool closed_ = false;
  bool close_started_ = false;
  int live_subscriptions_ = 0;
};

// Two threads for the few nats.c calls that block (connect, close).
boost::asio::any_io_executor blocking_executor();

}  // namespace nats_asio::detail
