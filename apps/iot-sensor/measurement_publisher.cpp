#include "measurement_publisher.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

namespace sensor {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;
using namespace std::chrono_literals;

measurement_publisher::measurement_publisher(nats_asio::jetstream& js, std::size_t capacity,
                                             apps::logger& log)
    : js_(js),
      log_(log),
      backlog_(capacity),
      changed_(js.get_executor()),
      room_(js.get_executor()) {}

void measurement_publisher::stop_waiting() {
  backlog_.stop_admitting();
  room_.notify_all();
}

asio::awaitable<void> measurement_publisher::wait_until(std::function<bool()> done) {
  while (!done()) co_await changed_.async_wait(as_tuple(use_awaitable));
}

asio::awaitable<void> measurement_publisher::wait_for_room() {
  const auto admission = backlog_.admit();
  if (admission == iot::publish_backlog::admission::go) co_return;
  if (admission == iot::publish_backlog::admission::wait_and_pause) {
    paused_since_ = std::chrono::steady_clock::now();
    log_.warn("buffer full: " + std::to_string(backlog_.waiting()) +
              " measurements await acknowledgment; measuring paused");
  }
  // Woken when a place is held for this loop, or at stop_waiting().
  co_await room_.async_wait(as_tuple(use_awaitable));
  if (!backlog_.take_held_place()) co_return;
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - paused_since_);
  log_.info("measuring resumed after " + std::to_string(ms.count()) + " ms");
}

void measurement_publisher::publish(std::string subject, iot::measurement m,
                                    const stored_handler& on_stored) {
  backlog_.handed_over();
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
  backlog_.handed_over();
  co_return co_await deliver(std::move(subject), std::move(m), on_stored);
}

asio::awaitable<bool> measurement_publisher::deliver(std::string subject, iot::measurement m,
                                                     const stored_handler& on_stored) {
  ++running_;
  nats_asio::publish_options po;
  po.msg_id = iot::message_id(m);
  const auto payload = iot::encode(m);
  std::chrono::milliseconds pause{0};
  bool stored = false;
  for (;;) {
    auto [ec, ack] = co_await js_.async_publish(subject, payload, po, as_tuple(use_awaitable));
    if (!ec) {
      stored = true;
      if (backlog_.publish_succeeded())
        log_.info("publishing again; " + std::to_string(backlog_.waiting() - 1) +
                  " more measurements to catch up");
      on_stored(m, ack.duplicate);
      break;
    }
    if (backlog_.giving_up()) break;
    if (backlog_.publish_failed()) {
      if (ec == nats_asio::errc::permission_denied)  // no fault that passes by itself
        log_.error("cannot publish " + po.msg_id + ": this identity may not publish on " + subject +
                   "; measurements are kept and re-sent until it may");
      else
        log_.warn("cannot publish " + po.msg_id + ": " + ec.message() +
                  "; unacknowledged measurements are kept and re-sent");
    } else {
      log_.debug("publish " + po.msg_id + " failed again: " + ec.message());
    }
    pause = iot::publish_backlog::retry_pause(pause);
    asio::steady_timer t(js_.get_executor(), pause);
    co_await t.async_wait(as_tuple(use_awaitable));
    if (backlog_.giving_up()) break;
  }
  if (!stored) backlog_.given_up(po.msg_id);
  if (backlog_.settled(stored)) room_.notify_one();
  --running_;
  changed_.notify_all();
  co_return stored;
}

asio::awaitable<void> measurement_publisher::finish(std::chrono::milliseconds grace) {
  auto grace_over = std::make_shared<bool>(false);
  asio::steady_timer deadline(js_.get_executor(), grace);
  deadline.async_wait([this, grace_over](auto ec) {
    if (ec) return;
    *grace_over = true;
    changed_.notify_all();
  });
  co_await wait_until([&] { return backlog_.waiting() == 0 || *grace_over; });
  backlog_.give_up_rest();
}

asio::awaitable<void> measurement_publisher::wait_idle() {
  co_await wait_until([this] { return running_ == 0; });
}

}  // namespace sensor
