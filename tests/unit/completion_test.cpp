// The bridge's one-shot completions and queues, driven from foreign threads.
#include <doctest/doctest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>
#include <thread>
#include <vector>

#include "nats_asio/detail/async_queue.hpp"
#include "nats_asio/detail/async_semaphore.hpp"

namespace asio = boost::asio;
using namespace nats_asio;
using namespace std::chrono_literals;

TEST_CASE("a completion runs its handler once, on the io_context, never inline") {
  asio::io_context ioc;
  int calls = 0;
  std::thread::id handler_thread;
  auto c = detail::make_completion<int>(
      [&](error_code ec, int v) {
        CHECK(!ec);
        CHECK(v == 7);
        ++calls;
        handler_thread = std::this_thread::get_id();
      },
      ioc.get_executor());
  std::thread foreign([&] {
    CHECK(c->complete({}, 7));
    CHECK(!c->complete({}, 8));  // the second result is ignored
  });
  foreign.join();
  CHECK(calls == 0);  // posted, not run on the foreign thread
  ioc.run();
  CHECK(calls == 1);
  CHECK(handler_thread == std::this_thread::get_id());
}

TEST_CASE("a completion times out with errc::timeout and a late result is dropped") {
  asio::io_context ioc;
  std::optional<error_code> result;
  auto c =
      detail::make_completion<int>([&](error_code ec, int) { result = ec; }, ioc.get_executor());
  c->expire_after(10ms);
  ioc.run_for(1s);
  REQUIRE(result);
  CHECK(*result == errc::timeout);
  CHECK(!c->complete({}, 1));
}

TEST_CASE("queue: cancelling a waiting receive consumes nothing") {
  asio::io_context ioc;
  detail::async_queue<int> q(4);
  asio::cancellation_signal signal;
  std::optional<error_code> cancelled;
  q.receive(detail::make_completion<int>(
      asio::bind_cancellation_slot(signal.slot(), [&](error_code ec, int) { cancelled = ec; }),
      ioc.get_executor()));
  signal.emit(asio::cancellation_type::terminal);
  ioc.run();
  REQUIRE(cancelled);
  CHECK(*cancelled == asio::error::operation_aborted);
  CHECK(q.push(5) == detail::async_queue<int>::push_result::ok);
  CHECK(q.size() == 1);
  int got = 0;
  q.receive(detail::make_completion<int>([&](error_code, int v) { got = v; }, ioc.get_executor()));
  ioc.restart();
  ioc.run();
  CHECK(got == 5);
}

TEST_CASE("queue: bounded, counts drops, delivers queued items before the close reason") {
  asio::io_context ioc;
  detail::async_queue<int> q(2);
  CHECK(q.push(1) == detail::async_queue<int>::push_result::ok);
  CHECK(q.push(2) == detail::async_queue<int>::push_result::ok);
  CHECK(q.push(3) == detail::async_queue<int>::push_result::full);
  CHECK(q.dropped() == 1);
  q.close(errc::subscription_closed);
  CHECK(q.push(4) == detail::async_queue<int>::push_result::closed);
  std::vector<int> got;
  std::vector<error_code> errors;
  for (int i = 0; i < 4; ++i)
    q.receive(detail::make_completion<int>(
        [&](error_code ec, int v) {
          if (ec)
            errors.push_back(ec);
          else
            got.push_back(v);
        },
        ioc.get_executor()));
  ioc.run();
  CHECK(got == std::vector<int>{1, 2});
  // The drop is reported where it happened, before the close reason.
  REQUIRE(errors.size() == 2);
  CHECK(errors[0] == errc::queue_overflow);
  CHECK(errors[1] == errc::subscription_closed);
}

TEST_CASE("queue: every item pushed from many threads reaches exactly one receiver") {
  asio::io_context ioc;
  detail::async_queue<int> q(1 << 20);
  constexpr int per_thread = 20000;
  std::vector<std::thread> producers;
  for (int t = 0; t < 4; ++t)
    producers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) q.push(t * per_thread + i);
    });
  std::vector<int> seen(4 * per_thread, 0);
  int received = 0;
  std::function<void()> next = [&] {
    q.receive(detail::make_completion<int>(
        [&](error_code ec, int v) {
          REQUIRE(!ec);
          ++seen[v];
          if (++received < 4 * per_thread) next();
        },
        ioc.get_executor()));
  };
  next();
  for (auto& p : producers) p.join();
  ioc.run();
  CHECK(received == 4 * per_thread);
  CHECK(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
}

TEST_CASE("semaphore: waiters are served in order; a cancelled waiter takes no unit") {
  asio::io_context ioc;
  detail::async_semaphore sem(1);
  std::vector<int> order;
  asio::cancellation_signal signal;
  auto acquire = [&](int id) {
    sem.acquire(detail::make_completion<>(
        [&, id](error_code ec) {
          if (!ec) order.push_back(id);
        },
        ioc.get_executor()));
  };
  acquire(1);
  sem.acquire(detail::make_completion<>(asio::bind_cancellation_slot(signal.slot(),
                                                                     [&](error_code ec) {
                                                                       if (!ec) order.push_back(2);
                                                                     }),
                                        ioc.get_executor()));
  acquire(3);
  signal.emit(asio::cancellation_type::terminal);
  ioc.poll();
  CHECK(order == std::vector<int>{1});
  sem.release();
  ioc.restart();
  ioc.poll();
  CHECK(order == std::vector<int>{1, 3});
  CHECK(sem.available() == 0);
  sem.release();
  CHECK(sem.available() == 1);
}

TEST_CASE("cancellation types: total only until the operation commits; none when ignored") {
  asio::io_context ioc;
  std::vector<error_code> results;
  auto start = [&](asio::cancellation_signal& signal) {
    return detail::make_completion<>(
        asio::bind_cancellation_slot(signal.slot(), [&](error_code ec) { results.push_back(ec); }),
        ioc.get_executor());
  };
  asio::cancellation_signal s1, s2, s3, s4;
  auto before_commit = start(s1);
  s1.emit(asio::cancellation_type::total);
  CHECK(before_commit->done());

  auto committed = start(s2);
  committed->commit();
  s2.emit(asio::cancellation_type::total);
  CHECK_FALSE(committed->done());
  s2.emit(asio::cancellation_type::partial);
  CHECK(committed->done());

  auto terminal = start(s3);
  terminal->commit();
  s3.emit(asio::cancellation_type::terminal);
  CHECK(terminal->done());

  auto uncancellable = start(s4);
  uncancellable->ignore_cancellation();
  s4.emit(asio::cancellation_type::terminal | asio::cancellation_type::partial |
          asio::cancellation_type::total);
  CHECK_FALSE(uncancellable->done());
  uncancellable->complete({});

  ioc.run();
  REQUIRE(results.size() == 4);
  CHECK(results[0] == asio::error::operation_aborted);
  CHECK(results[1] == asio::error::operation_aborted);
  CHECK(results[2] == asio::error::operation_aborted);
  CHECK(!results[3]);
}
