#include "measurement_publisher.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <optional>

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

// One measurement on its way, from handed over to settled: what each attempt
// needs. Owned by the handler of the pending publish or retry pause, so a
// measurement costs one allocation here and no coroutine frame.
struct measurement_publisher::delivery {
  std::string subject;
  iot::measurement m;
  std::string payload;
  nats_asio::publish_options options;
  const stored_handler* on_stored;
  std::function<void(bool stored)> settled;  // empty unless someone waits for it
  std::chrono::milliseconds pause{0};
  std::optional<asio::steady_timer> retry;  // made at the first failure
};

void measurement_publisher::publish(std::string subject, iot::measurement m,
                                    const stored_handler& on_stored) {
  start(std::move(subject), std::move(m), on_stored, {});
}

asio::awaitable<bool> measurement_publisher::publish_and_wait(std::string subject,
                                                              iot::measurement m,
                                                              const stored_handler& on_stored) {
  // Shared: the delivery may outlive this frame if the io_context is torn down.
  auto stored = std::make_shared<std::optional<bool>>();
  start(std::move(subject), std::move(m), on_stored, [stored](bool s) { *stored = s; });
  co_await wait_until([&] { return stored->has_value(); });
  co_return **stored;
}

void measurement_publisher::start(std::string subject, iot::measurement m,
                                  const stored_handler& on_stored,
                                  std::function<void(bool)> settled) {
  backlog_.handed_over();
  ++running_;
  auto d = std::make_unique<delivery>();
  d->options.msg_id = iot::message_id(m);
  d->payload = iot::encode(m);
  d->subject = std::move(subject);
  d->m = std::move(m);
  d->on_stored = &on_stored;
  d->settled = std::move(settled);
  attempt(std::move(d));
}

void measurement_publisher::attempt(std::unique_ptr<delivery> d) {
  auto& next = *d;  // stays where it is while the handler owns it
  js_.async_publish(
      next.subject, next.payload, next.options,
      [this, d = std::move(d)](nats_asio::error_code ec, const nats_asio::pub_ack& ack) mutable {
        attempted(std::move(d), ec, ack);
      });
}

void measurement_publisher::attempted(std::unique_ptr<delivery> d, nats_asio::error_code ec,
                                      const nats_asio::pub_ack& ack) {
  if (!ec) {
    if (backlog_.publish_succeeded())
      log_.info("publishing again; " + std::to_string(backlog_.waiting() - 1) +
                " more measurements to catch up");
    (*d->on_stored)(d->m, ack.duplicate);
    settle(std::move(d), true);
    return;
  }
  if (backlog_.giving_up()) {
    settle(std::move(d), false);
    return;
  }
  const auto& id = d->options.msg_id;
  if (backlog_.publish_failed()) {
    if (ec == nats_asio::errc::permission_denied)  // no fault that passes by itself
      log_.error("cannot publish " + id + ": this identity may not publish on " + d->subject +
                 "; measurements are kept and re-sent until it may");
    else
      log_.warn("cannot publish " + id + ": " + ec.message() +
                "; unacknowledged measurements are kept and re-sent");
  } else {
    log_.debug("publish " + id + " failed again: " + ec.message());
  }
  d->pause = iot::publish_backlog::retry_pause(d->pause);
  auto& timer = d->retry ? *d->retry : d->retry.emplace(js_.get_executor());
  timer.expires_after(d->pause);
  timer.async_wait([this, d = std::move(d)](nats_asio::error_code) mutable {
    if (backlog_.giving_up())
      settle(std::move(d), false);
    else
      attempt(std::move(d));
  });
}

void measurement_publisher::settle(std::unique_ptr<delivery> d, bool stored) {
  if (!stored) backlog_.given_up(d->options.msg_id);
  if (backlog_.settled(stored)) room_.notify_one();
  --running_;
  if (d->settled) d->settled(stored);
  changed_.notify_all();
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
