#include "nats_asio/kv_watcher.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "nats_asio/detail/exception_to_error.hpp"
#include "nats_asio/detail/js_api.hpp"
#include "nats_asio/detail/kv_codec.hpp"
#include "nats_asio/detail/push_consumer.hpp"
#include "nats_asio/detail/watch_state.hpp"
#include "nats_asio/js_message.hpp"

namespace nats_asio {
namespace detail {
namespace {

using boost::asio::awaitable;
using boost::asio::use_awaitable;

// Receives from `sub` or fails with errc::timeout after `timeout`.
template <typename Token>
auto async_receive_for(const std::shared_ptr<subscription_state<message>>& sub,
                       boost::asio::any_io_executor ex, std::chrono::milliseconds timeout,
                       Token&& token) {
  return boost::asio::async_initiate<Token, void(error_code, message)>(
      [sub, ex, timeout](auto handler) {
        auto c = make_completion<message>(std::move(handler), ex);
        c->expire_after(timeout);
        sub->queue().receive(c);
      },
      token);
}

void delete_consumer(watch_state& w) {
  if (w.consumer_name.empty()) return;
  delete_consumer_later(w.core, w.stream, w.consumer_name);
  w.consumer_name.clear();
}

// Makes a fresh ordered consumer starting after the last delivered revision.
// Returns the number of messages it has pending, or an error (then w->sub is
// empty).
awaitable<std::pair<error_code, std::uint64_t>> start_consumer(std::shared_ptr<watch_state> w) {
  if (w->sub) w->sub->close();
  w->sub.reset();
  delete_consumer(*w);
  consumer_config cfg;
  cfg.deliver_subject = w->core->new_inbox();
  cfg.filter_subject = w->filter;
  cfg.ack = ack_policy::none;
  cfg.max_deliver = 1;
  cfg.idle_heartbeat = std::chrono::duration_cast<std::chrono::nanoseconds>(w->options.heartbeat);
  cfg.flow_control = true;
  cfg.headers_only = w->options.headers_only;
  cfg.memory_storage = true;
  cfg.replicas = 1;
  cfg.inactive_threshold = std::chrono::minutes(1);
  if (w->next_stream_seq > 0) {
    cfg.deliver = deliver_policy::by_start_sequence;
    cfg.start_sequence = w->next_stream_seq;
  } else if (w->options.updates_only) {
    cfg.deliver = deliver_policy::new_only;
  } else {
    cfg.deliver =
        w->options.include_history ? deliver_policy::all : deliver_policy::last_per_subject;
  }
  auto [ec, consumer] = co_await open_push_consumer<message>(
      w->core, w->stream, std::move(cfg), w->options.capacity, w->activity,
      [](message m) { return m; }, w->api_timeout);
  if (ec) co_return std::pair{ec, std::uint64_t{0}};
  if (w->stopped) {  // stop() came while the consumer was being made
    consumer.deliveries->close();
    delete_consumer_later(w->core, w->stream, consumer.info.name);
    co_return std::pair{make_error_code(errc::subscription_closed), std::uint64_t{0}};
  }
  w->sub = std::move(consumer.deliveries);
  w->consumer_name = consumer.info.name;
  w->expected_consumer_seq = 1;
  w->activity->touch();  // a new consumer gets the full silence to show itself
  co_return std::pair{error_code{}, consumer.info.num_pending};
}

awaitable<std::pair<error_code, kv_entry>> next_entry(std::shared_ptr<watch_state> w) {
  auto ex = co_await boost::asio::this_coro::executor;
  const auto silence = w->options.heartbeat * 3;
  while (!w->stopped) {
    if (!w->sub) {
      auto [ec, pending] = co_await start_consumer(w);
      if (w->stopped) break;
      if (ec) {
        if (w->core->is_closed())
          co_return std::pair{make_error_code(errc::connection_closed), kv_entry{}};
        if (ec == errc::permission_denied)  // retrying cannot help
          co_return std::pair{ec, kv_entry{}};
        // The server may be restarting: try again shortly.
        boost::asio::steady_timer pause(ex, std::chrono::milliseconds(250));
        co_await pause.async_wait(boost::asio::as_tuple(use_awaitable));
        continue;
      }
      if (pending == 0 && !w->initial_done) {
        w->initial_done = true;
        kv_entry marker;
        marker.bucket = w->bucket;
        marker.operation = kv_operation::initial_done;
        co_return std::pair{error_code{}, std::move(marker)};
      }
    }
    auto sub = w->sub;
    // Heartbeats never reach the queue: they show only in the activity.
    auto [ec, msg] = co_await async_receive_for(sub, ex, w->activity->silence_left(silence),
                                                boost::asio::as_tuple(use_awaitable));
    if (w->stopped) break;
    // Heartbeats came meanwhile: the consumer is alive, only idle.
    if (ec == errc::timeout && w->activity->silence_left(silence).count() > 0) continue;
    if (ec) {  // silence, or the subscription ended: rebuild from the resume point
      if (w->core->is_closed())
        co_return std::pair{make_error_code(errc::connection_closed), kv_entry{}};
      if (ec == errc::permission_denied) {  // the server refused the deliver subject
        w->sub->close();
        w->sub.reset();
        co_return std::pair{ec, kv_entry{}};
      }
      w->sub->close();
      w->sub.reset();
      ++w->restarts;
      continue;
    }
    auto meta = parse_ack_subject(msg.reply);
    if (!meta) continue;
    if (meta->consumer_sequence != w->expected_consumer_seq) {  // a gap: rebuild
      w->sub->close();
      w->sub.reset();
      ++w->restarts;
      continue;
    }
    ++w->expected_consumer_seq;
    w->next_stream_seq = meta->stream_sequence + 1;
    kv_entry entry = entry_from_message(w->bucket, msg, *meta);
    const bool last_initial = !w->initial_done && meta->num_pending == 0;
    if (w->options.ignore_deletes && entry.operation != kv_operation::put) {
      if (last_initial) {
        w->initial_done = true;
        kv_entry marker;
        marker.bucket = w->bucket;
        marker.operation = kv_operation::initial_done;
        co_return std::pair{error_code{}, std::move(marker)};
      }
      continue;
    }
    if (last_initial) {
      // Deliver this entry now and the marker on the next call.
      w->initial_done = true;
      kv_entry marker;
      marker.bucket = w->bucket;
      marker.operation = kv_operation::initial_done;
      w->held.push_back(std::move(marker));
    }
    co_return std::pair{error_code{}, std::move(entry)};
  }
  co_return std::pair{make_error_code(errc::subscription_closed), kv_entry{}};
}

}  // namespace

void watch_state::stop() {
  if (stopped) return;
  stopped = true;
  if (sub) sub->close();
  delete_consumer(*this);
}

}  // namespace detail

kv_watcher::~kv_watcher() { stop(); }

kv_watcher& kv_watcher::operator=(kv_watcher&& other) noexcept {
  if (this != &other) {
    stop();
    executor_ = std::move(other.executor_);
    state_ = std::move(other.state_);
  }
  return *this;
}

void kv_watcher::stop() {
  if (state_) state_->stop();
  state_.reset();
}

std::uint64_t kv_watcher::restarts() const { return state_ ? state_->restarts.load() : 0; }

void kv_watcher::start_next(const detail::completion_ptr<kv_entry>& c) {
  auto w = state_;
  if (!w || w->stopped) {
    c->fail(errc::subscription_closed);
    return;
  }
  if (!w->held.empty()) {
    auto entry = std::move(w->held.front());
    w->held.pop_front();
    c->complete({}, std::move(entry));
    return;
  }
  if (w->waiter && !w->waiter->done()) {  // one receiver at a time
    c->fail(errc::operation_in_progress);
    return;
  }
  // A step still running for a cancelled receiver now delivers to this one.
  w->waiter = c;
  if (w->busy) return;
  w->busy = true;
  boost::asio::co_spawn(
      executor_, detail::next_entry(w),
      [w, ex = executor_](std::exception_ptr e, std::pair<error_code, kv_entry> r) {
        w->busy = false;
        auto waiter = std::move(w->waiter);
        const error_code ec = e ? detail::exception_to_error(e, ex) : r.first;
        if (waiter && !waiter->done()) {
          waiter->complete(ec, ec ? kv_entry{} : std::move(r.second));
        } else if (!ec) {
          // Nobody waits any more: keep it, ahead of a marker that may follow.
          w->held.push_front(std::move(r.second));
        }
      });
}

}  // namespace nats_asio
