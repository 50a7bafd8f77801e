// The bounded receive queue: what a receiver learns when items were dropped.
#include "nats_asio/detail/async_queue.hpp"

#include <doctest/doctest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>
#include <utility>

namespace asio = boost::asio;
using namespace nats_asio;

namespace {

// One receive, run to completion; nullopt if it is still waiting.
std::optional<std::pair<error_code, int>> receive(asio::io_context& ioc,
                                                  detail::async_queue<int>& q) {
  std::optional<std::pair<error_code, int>> result;
  q.receive(detail::make_completion<int>([&](error_code ec, int v) { result.emplace(ec, v); },
                                         ioc.get_executor()));
  ioc.restart();
  ioc.poll();
  return result;
}

void check_item(asio::io_context& ioc, detail::async_queue<int>& q, int expected) {
  auto r = receive(ioc, q);
  REQUIRE(r);
  CHECK(!r->first);
  CHECK(r->second == expected);
}

void check_gap(asio::io_context& ioc, detail::async_queue<int>& q, std::uint64_t lost) {
  auto r = receive(ioc, q);
  REQUIRE(r);
  CHECK(r->first == errc::queue_overflow);
  CHECK(q.last_gap() == lost);
}

}  // namespace

TEST_CASE("queue: items dropped by a full queue are reported once, where they were lost") {
  asio::io_context ioc;
  detail::async_queue<int> q(2);
  CHECK(q.push(1) == detail::async_queue<int>::push_result::ok);
  CHECK(q.push(2) == detail::async_queue<int>::push_result::ok);
  CHECK(q.push(3) == detail::async_queue<int>::push_result::full);
  CHECK(q.push(4) == detail::async_queue<int>::push_result::full);
  CHECK(q.dropped() == 2);
  CHECK(q.last_gap() == 0);

  check_item(ioc, q, 1);
  CHECK(q.push(5) == detail::async_queue<int>::push_result::ok);  // after the gap of 3 and 4
  CHECK(q.push(6) == detail::async_queue<int>::push_result::full);
  check_item(ioc, q, 2);
  check_gap(ioc, q, 2);
  check_item(ioc, q, 5);
  check_gap(ioc, q, 1);
  CHECK(!receive(ioc, q));  // nothing more: the receive waits
  CHECK(q.dropped() == 3);
}

TEST_CASE("queue: the receive after a gap at the end gets the next item") {
  asio::io_context ioc;
  detail::async_queue<int> q(1);
  q.push(1);
  q.push(2);
  check_item(ioc, q, 1);
  check_gap(ioc, q, 1);
  std::optional<std::pair<error_code, int>> waiting;
  q.receive(detail::make_completion<int>([&](error_code ec, int v) { waiting.emplace(ec, v); },
                                         ioc.get_executor()));
  q.push(3);
  ioc.restart();
  ioc.poll();
  REQUIRE(waiting);
  CHECK(!waiting->first);
  CHECK(waiting->second == 3);
}

namespace {

// A receive cancelled before the queue sees it.
void receive_cancelled(asio::io_context& ioc, detail::async_queue<int>& q) {
  asio::cancellation_signal signal;
  std::optional<error_code> cancelled;
  auto c = detail::make_completion<int>(
      asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, int) { cancelled = ec; }),
      ioc.get_executor());
  signal.emit(asio::cancellation_type::terminal);
  q.receive(c);
  ioc.restart();
  ioc.poll();
  REQUIRE(cancelled);
  CHECK(*cancelled == asio::error::operation_aborted);
}

}  // namespace

TEST_CASE("queue: a cancelled receive consumes neither the overflow report nor an item") {
  asio::io_context ioc;
  detail::async_queue<int> q(1);
  q.push(1);
  q.push(2);
  check_item(ioc, q, 1);
  receive_cancelled(ioc, q);
  check_gap(ioc, q, 1);
  q.push(3);
  receive_cancelled(ioc, q);
  check_item(ioc, q, 3);
}

TEST_CASE("queue: a gap is reported before the close reason") {
  asio::io_context ioc;
  detail::async_queue<int> q(1);
  q.push(1);
  q.push(2);
  q.close(errc::subscription_closed);
  check_item(ioc, q, 1);
  check_gap(ioc, q, 1);
  auto r = receive(ioc, q);
  REQUIRE(r);
  CHECK(r->first == errc::subscription_closed);
}

TEST_CASE("queue: evicting pushes keep the newest items and report nothing") {
  asio::io_context ioc;
  detail::async_queue<int> q(2);
  for (int i = 1; i <= 5; ++i) q.push_evicting(i);
  CHECK(q.dropped() == 3);
  check_item(ioc, q, 4);
  check_item(ioc, q, 5);
  CHECK(!receive(ioc, q));
}
