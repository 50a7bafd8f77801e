#include "measurement_counter.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace bench {

namespace asio = boost::asio;

measurement_counter::measurement_counter(nats_asio::connection& conn,
                                         const std::string& measurements_subject)
    : state_(std::make_shared<state>(conn.subscribe(measurements_subject + ".>"),
                                     measurements_subject.size() + 1)) {
  asio::co_spawn(conn.get_executor(), count(state_), asio::detached);
}

measurement_counter::~measurement_counter() { stop(); }

void measurement_counter::start_window() {
  state_->window_seen.clear();
  state_->window_messages = 0;
}

double measurement_counter::window_rate() const {
  double rate = 0;
  for (const auto& [sensor, a] : state_->window_seen) {
    const double span = std::chrono::duration<double>(a.last - a.first).count();
    if (a.count >= 2 && span > 0) rate += static_cast<double>(a.count - 1) / span;
  }
  return rate;
}

std::uint64_t measurement_counter::dropped() const {
  return state_->sub.is_open() ? state_->sub.dropped() : 0;
}

void measurement_counter::stop() {
  if (state_->stopped) return;
  state_->stopped = true;
  state_->sub.unsubscribe();
}

asio::awaitable<void> measurement_counter::count(std::shared_ptr<state> s) {
  for (;;) {
    auto [ec, msg] = co_await s->sub.async_receive(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;  // unsubscribed or closed
    std::string sensor = msg.subject.substr(std::min(s->prefix_size, msg.subject.size()));
    ++s->messages;
    ++s->window_messages;
    const auto now = std::chrono::steady_clock::now();
    auto& a = s->window_seen[sensor];
    if (a.count++ == 0) a.first = now;
    a.last = now;
    s->seen.insert(std::move(sensor));
  }
}

asio::awaitable<bool> measurement_counter::wait_until(
    std::function<bool()> done, std::chrono::steady_clock::time_point deadline) {
  asio::steady_timer tick(co_await asio::this_coro::executor);
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) co_return false;
    tick.expires_after(std::chrono::milliseconds(10));
    co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return true;
}

}  // namespace bench
