// detail::async_condition: waits woken by notify_one (in order) or
// notify_all, cancellable, posted rather than run inside a notify.
#include "nats_asio/detail/async_condition.hpp"

#include <doctest/doctest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <vector>

namespace asio = boost::asio;
using nats_asio::error_code;
using nats_asio::detail::async_condition;

namespace {

// Starts a wait that records `id` in `woken` when it completes without error.
void wait(async_condition& c, std::vector<int>& woken, int id) {
  c.async_wait([&woken, id](error_code ec) {
    if (!ec) woken.push_back(id);
  });
}

}  // namespace

TEST_CASE("notify_one wakes the longest waiting, one per call; handlers are posted") {
  asio::io_context ioc;
  async_condition c(ioc.get_executor());
  std::vector<int> woken;
  for (int id : {1, 2, 3}) wait(c, woken, id);
  CHECK(c.waiting() == 3);
  CHECK(c.notify_one());
  CHECK(woken.empty());  // not inside the notify
  ioc.poll();
  CHECK(woken == std::vector{1});
  CHECK(c.notify_one());
  CHECK(c.notify_one());
  ioc.restart();
  ioc.poll();
  CHECK(woken == std::vector{1, 2, 3});
  CHECK_FALSE(c.notify_one());
}

TEST_CASE("notify_all wakes every waiter, and only those waiting at the time") {
  asio::io_context ioc;
  async_condition c(ioc.get_executor());
  std::vector<int> woken;
  c.notify_all();  // nobody waits: nothing is remembered
  for (int id : {1, 2}) wait(c, woken, id);
  c.notify_all();
  wait(c, woken, 3);
  ioc.poll();
  CHECK(woken == std::vector{1, 2});
  CHECK(c.waiting() == 1);
}

TEST_CASE("a cancelled wait ends with operation_aborted and notify_one passes it by") {
  asio::io_context ioc;
  async_condition c(ioc.get_executor());
  std::vector<int> woken;
  asio::cancellation_signal cancel;
  std::optional<error_code> cancelled;
  c.async_wait(asio::bind_cancellation_slot(cancel.slot(), [&](error_code ec) { cancelled = ec; }));
  wait(c, woken, 2);
  cancel.emit(asio::cancellation_type::terminal);
  CHECK(c.waiting() == 1);
  CHECK(c.notify_one());
  ioc.poll();
  REQUIRE(cancelled);
  CHECK(*cancelled == asio::error::operation_aborted);
  CHECK(woken == std::vector{2});
}

TEST_CASE("destroying the condition ends pending waits with operation_aborted") {
  asio::io_context ioc;
  std::optional<error_code> result;
  {
    async_condition c(ioc.get_executor());
    c.async_wait([&](error_code ec) { result = ec; });
  }
  ioc.poll();
  REQUIRE(result);
  CHECK(*result == asio::error::operation_aborted);
}

TEST_CASE("a coroutine waits in a loop until its predicate holds") {
  asio::io_context ioc;
  async_condition c(ioc.get_executor());
  int value = 0;
  bool done = false;
  asio::co_spawn(
      ioc,
      [&]() -> asio::awaitable<void> {
        while (value < 3) co_await c.async_wait(asio::as_tuple(asio::use_awaitable));
        done = true;
      },
      asio::detached);
  ioc.poll();
  for (int i = 0; i < 3; ++i) {
    CHECK_FALSE(done);
    ++value;
    c.notify_all();
    ioc.restart();
    ioc.poll();
  }
  CHECK(done);
}
