// The shared state behind a `connection`: the nats.c connection, its
// callbacks, the reply multiplexer and the JetStream publish window.
//
// Lifetime: nats.c holds references, so nothing waits for its callbacks and
// nothing is kept on purpose. The connection callbacks carry this object's
// key in a registry, which holds the reference until the closed callback (a
// callback that comes later, such as a drain error nats.c reports after a
// close, finds no entry and is dropped). The reply subscription's closure is
// `this`, held by reply_ref_ until its OnComplete. The last reference may go
// on any thread, a nats.c callback included: by then the connection is
// closed, so natsConnection_Destroy neither flushes nor joins, and the
// calling nats.c thread holds its own reference (nats.c 3.4.1), so nothing
// it still uses is freed under it.
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "nats_asio/connect_options.hpp"
#include "nats_asio/connection_event.hpp"
#include "nats_asio/detail/async_queue.hpp"
#include "nats_asio/detail/async_semaphore.hpp"
#include "nats_asio/detail/completion.hpp"
#include "nats_asio/detail/deadline_queue.hpp"
#include "nats_asio/detail/permission_violation.hpp"
#include "nats_asio/message.hpp"

namespace nats_asio::detail {

class connection_core : public std::enable_shared_from_this<connection_core> {
 public:
  connection_core(boost::asio::any_io_executor ex, connect_options options);
  ~connection_core();
  connection_core(const connection_core&) = delete;
  connection_core& operator=(const connection_core&) = delete;

  const boost::asio::any_io_executor& executor() const { return executor_; }
  const connect_options& options() const { return options_; }

  // Blocking: runs on the blocking pool only. `detail` gets nats.c's text.
  // The handle is published only once made; a close requested meanwhile is
  // carried out here (the result is then errc::connection_closed).
  error_code connect_blocking(std::string& detail);
  // Non-blocking: starts nats.c's drain; the connection closes when done.
  error_code start_drain(std::chrono::milliseconds timeout);
  // Closes: natsConnection_Close (which may flush) runs on the blocking pool;
  // `done` (may be null) completes once nats.c's closed callback and every
  // subscription's OnComplete have come. A drain under way is cut short,
  // unless `let_drain_finish` (async_drain's own wait for its end).
  void close_async(completion_ptr<> done, bool let_drain_finish = false);

  natsConnection* native() const { return nc_.load(std::memory_order_acquire); }
  bool is_closed() const;

  // Buffered, non-blocking publish.
  error_code publish(std::string_view subject, std::string_view reply, const header_list& headers,
                     std::string_view payload);

  // Sends a request whose reply (or a timeout, cancellation, the connection
  // closing, or the server refusing the subject) completes `c`. A timeout
  // of zero waits without limit.
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
  // Keeps `state` until this object goes: for a subscription whose
  // OnComplete could not be set because nats.c had already closed it (the
  // connection closed meanwhile), so no callback will say when it is free.
  void keep_until_destroyed(std::shared_ptr<void> state);

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
  natsStatus subscribe_replies(natsConnection* nc);
  // Calls natsConnection_Close (may block: blocking pool only) unless it
  // was called already, or a drain is under way and `let_drain_finish`.
  void close_now(bool let_drain_finish);
  // Completes the close waiters if nats.c is done; call without the lock.
  void finish_close_if_done();
  using request_map = std::unordered_map<std::uint64_t, pending_request>;
  // Removes a pending request (under requests_mutex_); returns its completion.
  completion_ptr<message> take_request_locked(request_map::iterator it);
  // Under requests_mutex_, after requests left: true if the deadline timer
  // runs for none any more and must be stopped (schedule_deadline_check).
  bool deadline_timer_idle_locked();
  // The deadline timer: one per connection, armed at the earliest deadline
  // of a pending request and stopped when none is left. Both run on the
  // executor.
  void schedule_deadline_check();
  void check_deadlines();
  void fail_pending_requests(error_code ec);
  // Fails, with `ec`, the pending requests for which `match` is true.
  void fail_requests_if(const std::function<bool(std::uint64_t, const pending_request&)>& match,
                        error_code ec);
  void on_permission_violation(const permission_violation& v);
  std::string connected_url() const;

  boost::asio::any_io_executor executor_;
  connect_options options_;
  // Written once, by connect_blocking(), after natsConnection_Connect.
  std::atomic<natsConnection*> nc_{nullptr};
  // This object's key in the registry of nats.c's references (0: none).
  std::uintptr_t registry_id_ = 0;

  // Reply multiplexer: one wildcard subscription on "<inbox>.*".
  std::string inbox_prefix_;
  natsSubscription* reply_sub_ = nullptr;
  std::shared_ptr<connection_core> reply_ref_;  // nats.c's, until OnComplete
  mutable std::mutex requests_mutex_;
  std::uint64_t next_token_ = 1;
  request_map requests_;
  bool requests_closed_ = false;
  deadline_queue deadlines_;
  std::size_t timed_requests_ = 0;  // pending requests with a deadline
  // The deadline the timer is set to, or being set to; max(): stopped.
  std::chrono::steady_clock::time_point armed_for_ = std::chrono::steady_clock::time_point::max();
  // The wait in progress, owned by its handler (which holds this object
  // too): a timer is only ever made, used and destroyed on the executor, as
  // this object may outlive the io_context. Used under requests_mutex_.
  std::weak_ptr<boost::asio::steady_timer> deadline_timer_;
  bool replies_denied_ = false;

  // Subscriptions waiting to hear that the server refused them.
  std::mutex watches_mutex_;
  std::uint64_t next_watch_ = 1;
  std::unordered_map<std::uint64_t, subscription_watch> watches_;

  async_queue<connection_event> events_;
  async_semaphore publish_window_;

  // Close protocol: the closed callback and every subscription's OnComplete.
  mutable std::mutex close_mutex_;
  bool connecting_ = false;       // connect_blocking() is under way
  bool close_requested_ = false;  // before or during the connect
  bool close_started_ = false;    // natsConnection_Close or the drain is under way
  bool close_called_ = false;     // natsConnection_Close itself
  bool closed_ = false;           // the closed callback has come
  int live_subscriptions_ = 0;
  std::vector<completion_ptr<>> close_waiters_;
  std::vector<std::shared_ptr<void>> kept_states_;
};

// Two threads for the few nats.c calls that block (connect, close).
boost::asio::any_io_executor blocking_executor();

}  // namespace nats_asio::detail
