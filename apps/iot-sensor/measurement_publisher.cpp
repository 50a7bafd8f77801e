#include "measurement_publisher.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

namespace sensor {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;
using namespace std::chrono_literals;

namespace {

constexpr auto first_retry_pause = 250ms;
constexpr auto longest_retry_pause = 2s;

}  // namespace

measurement_publisher::measurement_publisher(nats_asio::jetstream& js, std::size_t capacity,
                                             apps::logger& log)
    : js_(js),
      capacity_(std::max<std::size_t>(capacity, 1)),
      log_(log),
      changed_(js.get_executor(), asio::steady_timer::time_point::max()) {}

void measurement_publisher::changed() {
  changed_.cancel();
  if (waiting_ < capacity_ && !room_waiters_.empty()) {
    room_waiters_.front()->cancel();
    room_waiters_.pop_front();
  }
}

void measurement_publisher::stop_waiting() {
  stop_waiting_ = true;
  for (auto& w : room_waiters_) w->cancel();
  room_waiters_.clear();
  changed();
}

asio::awaitable<void> measurement_publisher::wait_until(std::function<bool()> done) {
  while (!done()) co_await changed_.async_wait(as_tuple(use_awaitable));
}

asio::awaitable<void> measurement_publisher::wait_for_room() {
  if ((waiting_ < capacity_ && room_waiters_.empty()) || stop_waiting_) co_return;
  if (!paused_) {
    paused_ = true;
    paused_since_ = std::chrono::steady_clock::now();
    log_.warn("buffer full: " + std::to_string(waiting_) +
              " measurements await acknowledgment; measuring paused");
  }
  bool first_turn = false;  // woken ahead of the others: keep that place
  while ((waiting_ >= capacity_ || (!first_turn && !room_waiters_.empty())) && !stop_waiting_) {
    auto timer = std::make_shared<asio::steady_timer>(js_.get_executor(),
                                                      asio::steady_timer::time_point::max());
    if (first_turn)
      room_waiters_.push_front(timer);
    else
      room_waiters_.push_back(timer);
    co_await timer->async_wait(as_tuple(use_awaitable));
    first_turn = true;
  }
  if (stop_waiting_ || !paused_ || !room_waiters_.empty()) co_return;
  paused_ = false;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - paused_since_);
  log_.info("measuring resumed after " + std::to_string(ms.count()) + " ms");
}

void measurement_publisher::publish(std::string subject, iot::measurement m,
                                    const stored_handler& on_stored) {
  ++waiting_;
  asio::co_spawn(js_.get_executor(), deliver(std::move(subject), std::move(m), on_stored),
                 [this](std::exception_ptr e, bool) {
                   if (!e) return;
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::exception& ex) {
                     log_.error(std::string("publishing failed unexpectedly: ") + ex.what());
                   }
                 });
}

asio::awaitable<bool> measurement_publisher::publish_and_wait(std::string subject,
                                                              iot::measurement m,
                                                              const stored_handler& on_stored) {
  ++waiting_;
  co_return co_await deliver(std::move(subject), std::move(m), on_stored);
}

asio::awaitable<bool> measurement_publisher::deliver(std::string subject, iot::measurement m,
                                                     const stored_handler& on_stored) {
  ++running_;
  nats_asio::publish_options po;
  po.msg_id = iot::message_id(m);
  const auto payload = iot::encode(m);
  auto pause = std::chrono::milliseconds(first_retry_pause);
  bool stored = false;
  for (;;) {
    auto [ec, ack] = co_await js_.async_publish(subject, payload, po, as_tuple(use_awaitable));
    if (!ec) {
      stored = true;
      ++acknowledged_;
      if (failing_) {
        failing_ = false;
        log_.info("publishing again; " + std::to_string(waiting_ - 1) +
                  " more measurements to catch up");
      }
      on_stored(m, ack.duplicate);
      break;
    }
    if (giving_up_) break;
    if (!failing_) {
      failing_ = true;
      if (ec == nats_asio::errc::permission_denied)  // no fault that passes by itself
        log_.error("cannot publish " + po.msg_id + ": this identity may not publish on " + subject +
                   "; measurements are kept and re-sent until it may");
      else
        log_.warn("cannot publish " + po.msg_id + ": " + ec.message() +
                  "; unacknowledged measurements are kept and re-sent");
    } else {
      log_.debug("publish " + po.msg_id + " failed again: " + ec.message());
    }
    asio::steady_timer t(js_.get_executor(), pause);
    co_await t.async_wait(as_tuple(use_awaitable));
    pause = std::min<std::chrono::milliseconds>(pause * 2, longest_retry_pause);
    if (giving_up_) break;
  }
  if (!stored) given_up_.push_back(po.msg_id);
  --waiting_;
  --running_;
  changed();
  co_return stored;
}

asio::awaitable<void> measurement_publisher::finish(std::chrono::milliseconds grace) {
  auto grace_over = std::make_shared<bool>(false);
  asio::steady_timer deadline(js_.get_executor(), grace);
  deadline.async_wait([this, grace_over](auto ec) {
    if (ec) return;
    *grace_over = true;
    changed();
  });
  co_await wait_until([&] { return waiting_ == 0 || *grace_over; });
  if (waiting_ > 0) giving_up_ = true;
}

asio::awaitable<void> measurement_publisher::wait_idle() {
  co_await wait_until([this] { return running_ == 0; });
}

}  // namespace sensor
